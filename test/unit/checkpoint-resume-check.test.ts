/**
 * checkResume against a scripted stand-in for the server: the order of the checks, and that an
 * error which is not a reason (a lost connection) propagates instead of becoming a fresh start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkResume } from '../../plugins/checkpoint/resume-check.ts';
import {
  BinlogNotFoundError, CheckpointFormatError, CheckpointMissingError, CheckpointTooOldError, MismatchedKeyError, MismatchedStatementError,
  MismatchedTableError, PossiblyCutOverError, ServerChangedError, ShadowTableMissingError,
} from '../../plugins/checkpoint/index.ts';
import type { Queryable, ServerFlavor } from '../../mod.ts';

const STATEMENT = 'ALTER TABLE t ADD COLUMN c INT';
const MARIADB: ServerFlavor = { mariadb: true, version: '10.11.19-MariaDB', parts: [10, 11, 19] };
const MYSQL: ServerFlavor = { mariadb: false, version: '8.0.40', parts: [8, 0, 40] };

interface Server {
  tables: string[];
  rows?: Record<string, unknown>[] | Error;
  ageMicros?: number;
  binlogs?: Array<{ Log_name: string; File_size: number }>;
  gtidSubset?: number;
  serverId?: number;
  /** What BINLOG_GTID_POS answers (default null). */
  gtidAt?: string | null;
}

const KEY = '{"index":"PRIMARY","shadowIndex":"PRIMARY","columns":["id"]}';

function goodRow(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 1, format_version: 3, table_name: 't', statement: STATEMENT, copy_key: KEY, low_watermark: '[1200]', rows_copied: '1200',
    binlog_file: 'binlog.000002', binlog_position: '4711', binlog_gtid: null, server_id: '1', server_uuid: null, phase: 'copy', old_table: null,
    created_at: '2026-01-01 00:00:00.000000', updated_at: '2026-01-01 00:10:00.000000', ...over,
  };
}

function fakeDb(server: Server, log: string[] = []): Queryable {
  return {
    query: (async (sql: string, values?: unknown[]) => {
      log.push(sql.split(/\s+/).slice(0, 3).join(' '));
      if (sql.includes('information_schema.TABLES')) {
        const wanted = (values?.[1] as string[]) ?? [];
        return [server.tables.filter((t) => wanted.includes(t)).map((name) => ({ name }))];
      }
      if (sql.startsWith('SELECT * FROM')) {
        if (server.rows instanceof Error) throw server.rows;
        return [server.rows ?? [goodRow()]];
      }
      if (sql.includes('TIMESTAMPDIFF')) return [[{ age: server.ageMicros ?? 60_000_000 }]];
      if (sql === 'SHOW BINARY LOGS') return [server.binlogs ?? [{ Log_name: 'binlog.000002', File_size: 90_000 }, { Log_name: 'binlog.000003', File_size: 400 }]];
      if (sql.includes('GTID_SUBSET')) return [[{ ok: server.gtidSubset ?? 1 }]];
      if (sql.includes('@@GLOBAL.server_id')) return [[{ id: server.serverId ?? 1, uuid: null }]];
      if (sql.includes('BINLOG_GTID_POS')) return [[{ g: server.gtidAt ?? null }]];
      if (sql.startsWith('SHOW BINLOG EVENTS')) return [[]];
      throw new Error(`unexpected query ${sql}`);
    }) as never,
  };
}

const input = (server: Server, over: Partial<Parameters<typeof checkResume>[0]> = {}) => ({
  db: fakeDb(server), flavor: MARIADB, schema: 's', table: 't', statement: STATEMENT, key: KEY, maxAgeMs: 3_600_000, ...over,
});

async function refused(server: Server, over: Partial<Parameters<typeof checkResume>[0]> = {}): Promise<Error> {
  const d = await checkResume(input(server, over));
  assert.equal(d.kind, 'refused', JSON.stringify(d));
  return (d as { error: Error }).error;
}

const BOTH = ['_t_new', '_t_chkpnt'];

test('no shadow table and no checkpoint: a fresh start, without reading anything else', async () => {
  const log: string[] = [];
  assert.deepEqual(await checkResume({ ...input({ tables: [] }), db: fakeDb({ tables: [] }, log) }), { kind: 'fresh' });
  assert.equal(log.length, 1);
});

test('a usable checkpoint gives the resume point, decoded', async () => {
  const d = await checkResume(input({ tables: BOTH }));
  assert.equal(d.kind, 'resume');
  assert.deepEqual((d as { point: unknown }).point, { lowWatermark: [1200], binlog: { file: 'binlog.000002', position: 4711 }, rowsCopied: 1200 });
  const done = await checkResume(input({ tables: BOTH, gtidAt: '0-1-42', rows: [goodRow({ low_watermark: '"done"', binlog_gtid: '0-1-42' })] }));
  assert.deepEqual((done as { point: unknown }).point, { lowWatermark: 'done', binlog: { file: 'binlog.000002', position: 4711, gtid: '0-1-42' }, rowsCopied: 1200 });
});

test('each definitive reason is its typed error', async () => {
  assert.ok(await refused({ tables: ['_t_new'] }) instanceof CheckpointMissingError);
  assert.ok(await refused({ tables: ['_t_chkpnt'] }) instanceof ShadowTableMissingError);
  assert.ok(await refused({ tables: BOTH, rows: [] }) instanceof CheckpointMissingError);
  const noTable = Object.assign(new Error("Table 's._t_chkpnt' doesn't exist"), { errno: 1146 });
  assert.ok(await refused({ tables: BOTH, rows: noTable }) instanceof CheckpointMissingError, 'dropped between the two queries');
  assert.ok(await refused({ tables: BOTH, rows: [goodRow({ statement: `${STATEMENT} ` })] }) instanceof MismatchedStatementError, 'the statement compares exactly');
  assert.ok(await refused({ tables: BOTH, rows: [goodRow({ table_name: 'T' })] }) instanceof MismatchedTableError);
  assert.ok(await refused({ tables: BOTH, ageMicros: 3_600_000_001 }) instanceof CheckpointTooOldError);
  assert.ok(await refused({ tables: BOTH, binlogs: [{ Log_name: 'binlog.000003', File_size: 400 }] }) instanceof BinlogNotFoundError);
  assert.match((await refused({ tables: BOTH, binlogs: [{ Log_name: 'binlog.000002', File_size: 100 }] })).message, /past the end of binlog\.000002/);
  const gtidRow = [goodRow({ binlog_gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5' })];
  assert.ok(await refused({ tables: BOTH, rows: gtidRow, gtidSubset: 0 }, { flavor: MYSQL }) instanceof BinlogNotFoundError, 'MySQL: needed GTIDs purged');
  assert.equal((await checkResume(input({ tables: BOTH, rows: gtidRow, gtidSubset: 1 }, { flavor: MYSQL }))).kind, 'resume');
});

test('an unreadable row is a CheckpointFormatError, whatever is wrong with it', async () => {
  const bad: Array<Record<string, unknown>> = [
    { format_version: 1 }, { format_version: null }, { format_version: undefined }, { low_watermark: '[' }, { low_watermark: '[]' },
    { low_watermark: '[{"$hex":"zz"}]' }, { rows_copied: '-1' }, { binlog_file: '' }, { binlog_position: 'x' }, { binlog_gtid: 5 },
    { updated_at: null },
  ];
  for (const over of bad) {
    const err = await refused({ tables: BOTH, rows: [goodRow(over)] });
    assert.ok(err instanceof CheckpointFormatError, `${JSON.stringify(over)}: ${err.message}`);
  }
  assert.ok(await refused({ tables: BOTH, rows: [goodRow(), goodRow()] }) instanceof CheckpointFormatError, 'two rows');
  const { statement: _s, ...noStatement } = goodRow();
  assert.ok(await refused({ tables: BOTH, rows: [noStatement] }) instanceof CheckpointFormatError, 'a table of another tool');
});

test('the checks run in order: statement before table before format before age before binlog', async () => {
  const all = { tables: BOTH, ageMicros: 9e12, binlogs: [], rows: [goodRow({ statement: 'x', table_name: 'u', format_version: 9 })] };
  assert.ok(await refused(all) instanceof MismatchedStatementError);
  assert.ok(await refused({ ...all, rows: [goodRow({ table_name: 'u', format_version: 9 })] }) instanceof MismatchedTableError);
  assert.ok(await refused({ ...all, rows: [goodRow({ format_version: 9 })] }) instanceof CheckpointFormatError);
  assert.ok(await refused({ ...all, rows: [goodRow()] }) instanceof CheckpointTooOldError);
});

test('an error that is not a reason propagates: never a fresh start on a lost connection', async () => {
  const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
  await assert.rejects(checkResume(input({ tables: BOTH, rows: lost })), (err) => err === lost);
  const denied = Object.assign(new Error('Access denied; you need the BINLOG MONITOR privilege'), { errno: 1227 });
  const db = fakeDb({ tables: BOTH });
  const failing: Queryable = {
    query: (async (sql: string, values?: unknown[]) => {
      if (sql === 'SHOW BINARY LOGS') throw denied;
      return (db.query as (s: string, v?: unknown[]) => Promise<unknown>)(sql, values);
    }) as never,
  };
  await assert.rejects(checkResume({ ...input({ tables: BOTH }), db: failing }), (err) => err === denied);
});

test('a checkpoint written while copying by another key is refused (MismatchedKeyError); one without copy_key is unreadable', async () => {
  const other = '{"index":"PRIMARY","shadowIndex":"PRIMARY","columns":["id","i"]}';
  const err = await refused({ tables: BOTH }, { key: other });
  assert.ok(err instanceof MismatchedKeyError, String(err));
  assert.equal((err as MismatchedKeyError).code, 'CHECKPOINT_KEY_MISMATCH');
  assert.match(err.message, /copying by key .*"columns":\["id"\].* this run chose .*"columns":\["id","i"\]/);
  assert.ok(await refused({ tables: BOTH, rows: [goodRow({ copy_key: undefined })] }) instanceof CheckpointFormatError);
});

test('refusal messages are one line, name the tables and say what to do', async () => {
  const errors = [
    await refused({ tables: ['_t_new'] }),
    await refused({ tables: ['_t_chkpnt'] }),
    await refused({ tables: BOTH, rows: [goodRow({ statement: 'ALTER TABLE t\n  DROP COLUMN x' })] }),
    await refused({ tables: BOTH, ageMicros: 3_700_000_000 }),
    await refused({ tables: BOTH, binlogs: [] }),
    await refused({ tables: BOTH, rows: [goodRow({ format_version: 4 })] }),
    await refused({ tables: BOTH }, { key: '{"index":"uk","shadowIndex":"uk","columns":["code"]}' }),
  ];
  for (const e of errors) {
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /^cannot resume: .*`s`\.`_t_(new|chkpnt)`.*; .*(drop|raise|run)/, e.message);
    assert.equal(typeof (e as { code?: unknown }).code, 'string');
  }
  assert.match(errors[3]!.message, /last written 1h1m ago, more than the maximum age 1h0m/);
});

test('a checkpoint saying cut-over is the finished swap: no shadow, age or binlog check', async () => {
  const d = await checkResume(input({ tables: ['_t_chkpnt', '_t_old'], ageMicros: 9e12, binlogs: [], rows: [goodRow({ phase: 'cut-over', old_table: '_t_old' })] }));
  assert.equal(d.kind, 'cut-over');
  assert.deepEqual((d as { point: { cutOver?: unknown } }).point.cutOver, { oldTable: '_t_old' });
  assert.ok(await refused({ tables: ['_t_chkpnt'], rows: [goodRow({ phase: 'cut-over' })] }) instanceof CheckpointFormatError, 'no old_table');
});

test('shadow gone and an old table there: a probable unrecorded swap stops the run, strict or not', async () => {
  for (const old of ['_t_old', 't~old']) {
    const d = await checkResume(input({ tables: ['_t_chkpnt', old], rows: [goodRow({ phase: 'cutover' })] }));
    assert.equal(d.kind, 'stop');
    assert.ok((d as { error: Error }).error instanceof PossiblyCutOverError);
    assert.match((d as { error: Error }).error.message, new RegExp(`\\.\`${old}\` is there.*nothing was changed$`));
  }
});

test('a position from another server: refused without a GTID to translate it with, and when the GTID is nowhere here', async () => {
  const other = await refused({ tables: BOTH, serverId: 7 });
  assert.ok(other instanceof ServerChangedError);
  assert.match(other.message, /written on server_id 1, this is server_id 7, and it holds no GTID position/);
  const sameIdOtherBinlogs = await refused({ tables: BOTH, gtidAt: '0-1-9', binlogs: [{ Log_name: 'binlog.000002', File_size: 90_000 }], rows: [goodRow({ binlog_gtid: '0-1-42' })] });
  assert.ok(sameIdOtherBinlogs instanceof ServerChangedError, sameIdOtherBinlogs.message);
  assert.match(sameIdOtherBinlogs.message, /has other binlogs .*no position in this server's binlogs has GTID position 0-1-42/);
  const mysql = await refused({ tables: BOTH, serverId: 7, rows: [goodRow({ binlog_gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5' })] }, { flavor: MYSQL });
  assert.match(mysql.message, /MariaDB only/);
});
