/**
 * findGtidPosition against a scripted binlog: which file is scanned, which boundary is the
 * answer, and that the server's own BINLOG_GTID_POS must confirm it. (The real thing, on a
 * replica after a failover: test/integration/checkpoint-failover.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findGtidPosition } from '../../plugins/checkpoint/translate.ts';
import { sameGtidPos } from '../../plugins/checkpoint/identity.ts';
import type { Queryable } from '../../mod.ts';

interface Ev { Pos: number; End_log_pos: number; Event_type: string; Info: string }

/** A file of `groups` transactions (GTIDs 0-<server>-<seq>), each a Gtid event then a 100-byte body. */
function file(startState: string, gtids: string[]): { start: string; events: Ev[] } {
  const events: Ev[] = [{ Pos: 4, End_log_pos: 256, Event_type: 'Format_desc', Info: '' }, { Pos: 256, End_log_pos: 285, Event_type: 'Gtid_list', Info: `[${startState}]` }];
  let pos = 285;
  for (const g of gtids) {
    events.push({ Pos: pos, End_log_pos: pos + 42, Event_type: 'Gtid', Info: `BEGIN GTID ${g} cid=1` });
    events.push({ Pos: pos + 42, End_log_pos: pos + 142, Event_type: 'Write_rows_v1', Info: 'table_id: 1' });
    pos += 142;
  }
  return { start: startState, events };
}

function fakeServer(files: Record<string, { start: string; events: Ev[] }>, lie = false): Queryable {
  const stateAt = (name: string, pos: number): string | null => {
    const f = files[name]!;
    const state = new Map<string, string>();
    for (const p of f.start.split(',').filter(Boolean)) state.set(p.split('-')[0]!, p);
    let pending: string | undefined;
    for (const e of f.events) {
      if (e.Pos >= pos) break;
      if (e.Event_type === 'Gtid') {
        if (pending) state.set(pending.split('-')[0]!, pending);
        pending = /GTID (\S+)/.exec(e.Info)![1];
      }
    }
    const boundary = pos === 4 || f.events.some((e) => e.Pos === pos && e.Event_type === 'Gtid') || pos === f.events.at(-1)!.End_log_pos;
    if (!boundary) return null;
    if (pending && pos !== 4) state.set(pending.split('-')[0]!, pending);
    const out = [...state.values()].join(',');
    return lie && pos !== 4 ? `${out}9` : out;
  };
  return {
    query: (async (sql: string, values?: unknown[]) => {
      if (sql === 'SHOW BINARY LOGS') return [Object.keys(files).map((Log_name) => ({ Log_name }))];
      if (sql.includes('BINLOG_GTID_POS')) return [[{ g: stateAt(String(values![0]), Number(values![1])) }]];
      const m = /^SHOW BINLOG EVENTS IN '([^']+)' FROM (\d+) LIMIT (\d+)$/.exec(sql);
      if (m) {
        const events = files[m[1]!]!.events.filter((e) => e.Pos >= Number(m[2]));
        return [events.slice(0, Number(m[3]))];
      }
      throw new Error(`unexpected query ${sql}`);
    }) as never,
  };
}

const seqs = (server: number, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `0-${server}-${from + i}`);

test('the boundary after the wanted GTID, in the newest file not past it, confirmed by the server', async () => {
  const files = { 'binlog.000001': file('', seqs(1, 1, 10)), 'binlog.000002': file('0-1-10', [...seqs(1, 11, 20), ...seqs(7, 21, 22)]) };
  const db = fakeServer(files);
  // after 0-1-15 in the second file: the Gtid event of 0-1-16 starts there
  const at15 = await findGtidPosition(db, '0-1-15', 3);
  assert.deepEqual(at15, { file: 'binlog.000002', position: files['binlog.000002'].events.find((e) => e.Info.includes('0-1-16'))!.Pos });
  // in the older file
  const at3 = await findGtidPosition(db, '0-1-3');
  assert.equal(at3?.file, 'binlog.000001');
  // exactly a file's start: the first group of that file
  assert.equal((await findGtidPosition(db, '0-1-10'))?.file, 'binlog.000002');
  // the file's last group: its end (26 events: the last page of 13 is full, the next one empty)
  assert.deepEqual(await findGtidPosition(db, '0-7-22', 13), { file: 'binlog.000002', position: files['binlog.000002'].events.at(-1)!.End_log_pos });
  // transactions this server never had, or another server's id at that sequence number
  assert.equal(await findGtidPosition(db, '0-1-99'), undefined);
  assert.equal(await findGtidPosition(db, '0-9-15'), undefined);
  assert.equal(await findGtidPosition(db, '0-1-5,1-3-4'), undefined, 'a domain this server does not have');
  // the server's own answer must confirm the boundary
  assert.equal(await findGtidPosition(fakeServer(files, true), '0-1-15'), undefined);
});

test('GTID positions compare per domain, server and sequence number', () => {
  assert.ok(sameGtidPos('0-1-5,1-2-9', '1-2-9,0-1-5'));
  assert.ok(!sameGtidPos('0-1-5', '0-2-5'));
  assert.ok(!sameGtidPos('0-1-5', '0-1-5,1-2-9'));
  assert.ok(sameGtidPos('', ''));
});
