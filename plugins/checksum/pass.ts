/**
 * One verification pass over snapshots already taken: walk the source's key index in chunks
 * (on the first snapshot connection) and compare each chunk's COUNT(*) and BIT_XOR(row hash) of
 * the source and the shadow, chunks spread over the snapshot connections. Aborts stop between
 * chunks; nothing is left in flight when it returns or throws.
 */
import type { Connection } from 'mysql2/promise';
import { queryRows, throwIfAborted } from '../../plugin-api.ts';
import type { ChunkInfo, CopyControl } from '../../plugin-api.ts';
import { chunkChecksumSql, type ChecksumSelects } from './expressions.ts';

export interface ChunkSums {
  readonly rows: number;
  readonly crc: string;
}

export interface ChunkMismatch {
  readonly chunk: ChunkInfo;
  readonly source: ChunkSums;
  readonly shadow: ChunkSums;
}

export interface PassResult {
  /** Source rows compared. */
  readonly rows: number;
  readonly chunks: number;
  readonly mismatches: ChunkMismatch[];
  /** Times the snapshots were retaken because they reached the maximum age. */
  readonly retakes: number;
}

export interface PassParams {
  schema: string;
  source: string;
  shadow: string;
  /** The key's index on each table (TableInfo.key: PRIMARY unless another key was chosen). */
  indexes: { readonly source: string; readonly shadow: string };
  selects: ChecksumSelects;
  copy: Pick<CopyControl, 'chunks' | 'rangeCondition'>;
  /** Snapshot connections (the first also walks the chunk bounds). */
  connections: readonly Connection[];
  rowsPerChunk: number;
  signal: AbortSignal;
  /** Age of the snapshots, and how to retake them (when older than maxAgeMs, between chunks). */
  snapshotAgeMs: () => number;
  maxAgeMs: number;
  retake: () => Promise<void>;
  /** Called after each chunk with the rows compared so far. */
  onRows?: (rows: number) => void;
}

async function sums(conn: Connection, sql: string, values: unknown[]): Promise<ChunkSums> {
  const [row] = await queryRows<{ n: unknown; crc: unknown }>(conn, sql, values);
  return { rows: Number(row?.n ?? 0), crc: String(row?.crc ?? '0') };
}

async function compareChunk(p: PassParams, conn: Connection, chunk: ChunkInfo): Promise<ChunkMismatch> {
  const range = p.copy.rangeCondition(chunk.lower, chunk.upper);
  const source = await sums(conn, chunkChecksumSql(p.schema, p.source, p.selects.source, range.sql, p.indexes.source), range.values);
  const shadow = await sums(conn, chunkChecksumSql(p.schema, p.shadow, p.selects.shadow, range.sql, p.indexes.shadow), range.values);
  return { chunk, source, shadow };
}

function differs(c: ChunkMismatch): boolean {
  return c.source.rows !== c.shadow.rows || c.source.crc !== c.shadow.crc;
}

export async function runPass(p: PassParams): Promise<PassResult> {
  const idle = [...p.connections];
  const inFlight = new Set<Promise<void>>();
  const mismatches: ChunkMismatch[] = [];
  let rows = 0;
  let chunks = 0;
  let retakes = 0;
  let failure: { error: unknown } | undefined;
  const walk = p.copy.chunks(p.connections[0]!, p.rowsPerChunk);
  try {
    for (;;) {
      throwIfAborted(p.signal);
      if (failure) break;
      if (p.snapshotAgeMs() > p.maxAgeMs) {
        await Promise.allSettled(inFlight);
        if (failure) break;
        await p.retake();
        retakes++;
      }
      const next = await walk.next();
      if (next.done) break;
      while (idle.length === 0) await Promise.race(inFlight);
      if (failure) break;
      const conn = idle.pop()!;
      const task: Promise<void> = compareChunk(p, conn, next.value)
        .then((result) => {
          chunks++;
          rows += result.source.rows;
          if (differs(result)) mismatches.push(result);
          p.onRows?.(rows);
        }, (error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          idle.push(conn);
          inFlight.delete(task);
        });
      inFlight.add(task);
    }
  } finally {
    await Promise.allSettled(inFlight);
    await walk.return(undefined).catch(() => undefined);
  }
  if (failure) throw failure.error;
  return { rows, chunks, mismatches: mismatches.sort((a, b) => a.chunk.index - b.chunk.index), retakes };
}
