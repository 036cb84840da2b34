/**
 * MySQL 8's translation of a saved gtid_executed set into a position of this server's binlogs,
 * against a scripted binlog (MySQL cannot run here): the set arithmetic, which file is scanned,
 * which transaction boundary is the answer, and refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addGtid, findMysqlGtidPosition, formatGtidSet, gtidSetAt, isSubset, parseGtidSet, sameGtidSet } from '../../plugins/checkpoint/translate-mysql.ts';
import type { Queryable } from '../../mod.ts';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

interface Ev { Pos: number; End_log_pos: number; Event_type: string; Info: string }

/** A file that starts after `previous` and holds one transaction per GTID (Gtid event, 100-byte body). */
function file(previous: string, gtids: string[]): Ev[] {
  const events: Ev[] = [
    { Pos: 4, End_log_pos: 126, Event_type: 'Format_desc', Info: 'Server ver: 8.0.36, Binlog ver: 4' },
    { Pos: 126, End_log_pos: 197, Event_type: 'Previous_gtids', Info: previous },
  ];
  let pos = 197;
  for (const g of gtids) {
    events.push({ Pos: pos, End_log_pos: pos + 79, Event_type: 'Gtid', Info: `SET @@SESSION.GTID_NEXT= '${g}'` });
    events.push({ Pos: pos + 79, End_log_pos: pos + 179, Event_type: 'Write_rows', Info: 'table_id: 90 flags: STMT_END_F' });
    pos += 179;
  }
  return events;
}

function fakeServer(files: Record<string, Ev[]>): Queryable & { scanned: string[] } {
  const scanned: string[] = [];
  return {
    scanned,
    async query(sql: string) {
      if (sql === 'SHOW BINARY LOGS') return [Object.keys(files).map((Log_name) => ({ Log_name }))];
      const m = /^SHOW BINLOG EVENTS IN '([^']+)' FROM (\d+) LIMIT (\d+)$/.exec(sql);
      if (!m) throw new Error(`unexpected ${sql}`);
      scanned.push(m[1]!);
      const from = Number(m[2]);
      return [files[m[1]!]!.filter((e) => e.Pos >= from).slice(0, Number(m[3]))];
    },
  } as unknown as Queryable & { scanned: string[] };
}

test('GTID sets: parsing (intervals, several sources, tags, newlines), adding, subset and equality', () => {
  const s = parseGtidSet(`${A.toUpperCase()}:1-5:7,\n${B}:1-3`);
  assert.deepEqual(s.get(A), [[1n, 5n], [7n, 7n]]);
  addGtid(s, `${A}:6`);
  assert.deepEqual(s.get(A), [[1n, 7n]]);
  assert.ok(sameGtidSet(s, parseGtidSet(`${B}:1-3,${A}:1-7`)));
  assert.ok(isSubset(parseGtidSet(`${A}:2-4`), s));
  assert.ok(!isSubset(parseGtidSet(`${A}:2-8`), s));
  assert.ok(!isSubset(parseGtidSet(`${A}:1,${B}:4`), s));
  const tagged = parseGtidSet(`${A}:1-2:blue:1-4`);
  assert.deepEqual(tagged.get(A), [[1n, 2n]]);
  assert.deepEqual(tagged.get(`${A}:blue`), [[1n, 4n]]);
  assert.equal(parseGtidSet('').size, 0);
  assert.throws(() => parseGtidSet('0-1-5'));
  assert.throws(() => parseGtidSet(`${A}:x-y`));
});

test('the boundary where the executed set equals the saved one, in the newest file that starts inside it', async () => {
  const server = fakeServer({
    'binlog.000001': file('', [`${A}:1`, `${A}:2`, `${A}:3`]),
    'binlog.000002': file(`${A}:1-3`, [`${A}:4`, `${B}:1`, `${A}:5`]),
    'binlog.000003': file(`${A}:1-5,${B}:1`, [`${A}:6`]),
  });
  // After A:4 and B:1: just before the Gtid event of A:5 in file 2.
  assert.deepEqual(await findMysqlGtidPosition(server, `${A}:1-4,${B}:1`), { file: 'binlog.000002', position: 197 + 2 * 179 });
  assert.deepEqual(server.scanned, ['binlog.000003', 'binlog.000002']);
  // Exactly the start of a file's first transaction.
  assert.deepEqual(await findMysqlGtidPosition(server, `${A}:1-3`), { file: 'binlog.000002', position: 197 });
  // The end of the newest file (everything applied).
  assert.deepEqual(await findMysqlGtidPosition(server, `${A}:1-6,${B}:1`), { file: 'binlog.000003', position: 197 + 179 });
  // Small pages: a scan across several SHOW BINLOG EVENTS.
  assert.deepEqual(await findMysqlGtidPosition(server, `${A}:1-2`, 2), { file: 'binlog.000001', position: 197 + 2 * 179 });
});

test('no boundary has the saved set: undefined (the caller refuses), never a guess', async () => {
  const server = fakeServer({
    'binlog.000001': file('', [`${A}:1`, `${A}:2`]),
    'binlog.000002': file(`${A}:1-2`, [`${A}:3`]),
  });
  // A transaction this server never had (another source), or a gap in its own.
  assert.equal(await findMysqlGtidPosition(server, `${A}:1-2,${B}:1`), undefined);
  assert.equal(await findMysqlGtidPosition(server, `${A}:1,${A}:3`), undefined);
  // Purged: the oldest file starts past the saved set.
  const purged = fakeServer({ 'binlog.000007': file(`${A}:1-9`, [`${A}:10`]) });
  assert.equal(await findMysqlGtidPosition(purged, `${A}:1-5`), undefined);
});

test('gtidSetAt: the executed set at a transaction boundary of a file (what the checkpoint saves), undefined inside a transaction', async () => {
  const events = file(`${A}:1-3`, [`${A}:4`, `${B}:1`, `${A}:5`]);
  const server = fakeServer({ 'binlog.000002': events });
  assert.equal(await gtidSetAt(server, 'binlog.000002', 197), `${A}:1-3`);
  assert.equal(await gtidSetAt(server, 'binlog.000002', 197 + 179), `${A}:1-4`);
  assert.equal(await gtidSetAt(server, 'binlog.000002', 197 + 2 * 179), `${A}:1-4,${B}:1`);
  assert.equal(await gtidSetAt(server, 'binlog.000002', 197 + 3 * 179), `${A}:1-5,${B}:1`); // the file's end
  assert.equal(await gtidSetAt(server, 'binlog.000002', 197 + 79), undefined); // inside a transaction
  assert.equal(await gtidSetAt(server, 'binlog.000002', 197 + 179, 3), `${A}:1-4`); // across pages
  // What it saves, findMysqlGtidPosition finds again.
  const saved = (await gtidSetAt(server, 'binlog.000002', 197 + 2 * 179))!;
  assert.deepEqual(await findMysqlGtidPosition(server, saved), { file: 'binlog.000002', position: 197 + 2 * 179 });
  assert.equal(formatGtidSet(parseGtidSet(`${B}:3,${A}:1-2:4`)), `${A}:1-2:4,${B}:3`);
});
