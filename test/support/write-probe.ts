/** An application writer: one INSERT every `everyMs` through a plain pool; records its longest stall. */
import mysql, { type Pool } from 'mysql2/promise';

export interface WriteProbe {
  /** Stops writing; resolves with the longest single INSERT (ms), the rows written and the errors seen. */
  stop(): Promise<{ longestMs: number; ids: number[]; errors: unknown[] }>;
}

export function startWriteProbe(pool: Pool, schema: string, table: string, firstId: number, everyMs = 10, row: (id: number) => string = (id) => `(${id}, 'probe')`): WriteProbe {
  let running = true;
  let longestMs = 0;
  const ids: number[] = [];
  const errors: unknown[] = [];
  const loop = (async () => {
    for (let id = firstId; running; id++) {
      const started = performance.now();
      try {
        await pool.query(`INSERT INTO ${mysql.escapeId(schema)}.${mysql.escapeId(table)} VALUES ${row(id)}`);
        ids.push(id);
      } catch (err) {
        errors.push(err);
      }
      longestMs = Math.max(longestMs, performance.now() - started);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { longestMs, ids, errors };
    },
  };
}
