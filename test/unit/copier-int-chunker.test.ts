/**
 * The integer chunker's end of table against a fake server whose table keeps growing at the end
 * (dense keys 1..max): chunks stay bounded while the copy gains on the inserts, and the chase
 * ends with one open-ended chunk even when inserts outpace the copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Queryable } from '../../core/connection/connection.ts';
import { IntRangeChunker } from '../../core/copier/int-chunker.ts';
import type { ChunkInfo } from '../../core/types.ts';

/** A table holding every key 1..max, where `grow()` runs before each MAX read. */
function growingTable(initialMax: number, grow: (max: number) => number) {
  let max = initialMax;
  const db = {
    async query(sql: string, values?: unknown[]) {
      if (/MIN\(/.test(sql)) return [[{ lo: 1, hi: max }]];
      if (/MAX\(/.test(sql)) {
        max = grow(max);
        return [[{ hi: max }]];
      }
      const above = Number((values ?? [])[0]);
      return [above < max ? [{ k: above + 1 }] : []];
    },
  } as unknown as Queryable;
  return { db, get max() { return max; } };
}

async function chunks(db: Queryable, rows: number): Promise<ChunkInfo[]> {
  const chunker = new IntRangeChunker({ schema: 's', name: 't' }, 'id', null);
  const out: ChunkInfo[] = [];
  for (let c = await chunker.next(db, rows); c; c = await chunker.next(db, rows)) {
    out.push(c);
    const lower = c.lower ? Number(c.lower[0]) : 0;
    chunker.observe(c, c.upper ? Number(c.upper[0]) - lower : 0);
    assert.ok(out.length < 10_000, 'the chunker never ends');
  }
  return out;
}

test('rows arriving at the end while the copy gains on them: every bounded chunk stays at the chunk size, and the last starts near the end', async () => {
  const table = growingTable(10_000, (max) => max + 300); // 300 new rows per chunk at the end, chunks of 1000
  const list = await chunks(table.db, 1000);
  const last = list.at(-1)!;
  assert.equal(last.upper, null);
  for (const c of list.slice(0, -1)) {
    const span = Number(c.upper![0]) - (c.lower ? Number(c.lower[0]) : 0);
    assert.ok(span <= 1000, `chunk ${c.index} spans ${span} keys`);
  }
  // The open-ended chunk starts within one chunk of the MAX read last: it copies about one chunk, not all 300·n new rows.
  assert.ok(table.max - Number(last.lower![0]) <= 1000, `the last chunk starts ${table.max - Number(last.lower![0])} keys below MAX`);
  assert.ok(list.length > 10, 'the chunker went on past the MAX it read at the start');
});

test('inserts outpacing the copy: the chase stops after one round without gain, with an open-ended chunk', async () => {
  const table = growingTable(10_000, (max) => max + 5000); // faster than the chunks of 1000
  const list = await chunks(table.db, 1000);
  assert.equal(list.at(-1)!.upper, null);
  // 10 chunks to the first MAX, one round of 5 chasing the next, then no gain: the open-ended chunk.
  assert.ok(list.length <= 17, `${list.length} chunks: the chase should have stopped after one round`);
});

test('a table that stops growing: chunks up to the new MAX, then the last', async () => {
  let reads = 0;
  const table = growingTable(5000, (max) => (reads++ === 0 ? max + 2500 : max));
  const list = await chunks(table.db, 1000);
  assert.equal(list.at(-1)!.upper, null);
  assert.ok(Number(list.at(-1)!.lower![0]) >= 6500, 'bounded chunks went past the first MAX');
});
