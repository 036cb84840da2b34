/** Replica lag: the fail-closed timing with fake replicas and a fake clock; status parsing; DSNs; option checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../mod.ts';
import {
  maskDsn, NotAReplicaError, parseDsn, readReplicaLag, ReplicaLagThrottler, throttlerPlugin, ThrottlerOptionError,
  type LagReading, type LagSource,
} from '../../plugins/throttler/index.ts';

class FakeReplica implements LagSource {
  next: LagReading | Error = { seconds: 0, detail: '0 s behind' };
  closed = 0;
  constructor(readonly label: string) {}
  async read(): Promise<LagReading> {
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

const lag = (seconds: number | null): LagReading => ({ seconds, detail: seconds === null ? 'not replicating: SQL thread No' : `${seconds} s behind` });

function setup(readTimeoutMs = 10_000, maxLagMs = 10_000) {
  let clock = 1_000;
  const a = new FakeReplica('u@a:3306');
  const b = new FakeReplica('u@b:3307');
  const t = new ReplicaLagThrottler([a, b], { maxLagMs, readTimeoutMs, now: () => clock });
  t.open();
  return { a, b, t, advance: (ms: number) => { clock += ms; } };
}

test('replica lag: within the limit goes on; above it pauses naming the replica', async () => {
  const { a, b, t } = setup();
  a.next = lag(10);
  b.next = lag(3);
  assert.equal((await t.check()).throttled, false, '10 s is not more than 10 s');
  a.next = lag(11);
  const s = await t.check();
  assert.equal(s.throttled, true);
  assert.equal(s.reason, 'replica u@a:3306 lags 11 s (max 10 s)');
});

test('replica lag: NULL (SQL thread stopped) counts as lagging', async () => {
  const { b, t } = setup();
  b.next = lag(null);
  const s = await t.check();
  assert.equal(s.throttled, true);
  assert.match(s.reason!, /^replica u@b:3307 is not replicating/);
});

test('replica lag fails closed: unreadable for readTimeout pauses with "unreachable", not before', async () => {
  const { a, t, advance } = setup(10_000);
  assert.equal((await t.check()).throttled, false);
  a.next = new Error('connect ECONNREFUSED');
  advance(5_000);
  assert.equal((await t.check()).throttled, false, '5 s unreadable: last reading (fine) stands');
  advance(4_999);
  assert.equal((await t.check()).throttled, false, 'just under the timeout');
  advance(1);
  const s = await t.check();
  assert.equal(s.throttled, true);
  assert.match(s.reason!, /^replica u@a:3306 unreachable for 10\.0 s \(connect ECONNREFUSED\)$/);
  advance(60_000);
  assert.match((await t.check()).reason!, /unreachable for 70\.0 s/, 'stays paused');
  a.next = lag(1);
  assert.equal((await t.check()).throttled, false, 'readable again: goes on');
  a.next = new Error('again');
  advance(9_000);
  assert.equal((await t.check()).throttled, false, 'the grace period restarts from the last good reading');
});

test('replica lag: never readable counts from open()', async () => {
  const { a, t, advance } = setup(2_000);
  a.next = new Error('down');
  assert.equal((await t.check()).throttled, false);
  advance(2_000);
  assert.match((await t.check()).reason!, /unreachable for 2\.0 s/);
});

test('replica lag: a lagging last reading keeps it paused while unreadable', async () => {
  const { a, t, advance } = setup(10_000);
  a.next = lag(30);
  assert.equal((await t.check()).throttled, true);
  a.next = new Error('timeout');
  advance(1_000);
  const s = await t.check();
  assert.equal(s.throttled, true);
  assert.match(s.reason!, /lags 30 s \(max 10 s\) \(last reading; now unreadable\)/);
});

test('replica lag: every lagging replica is named; dispose closes them all', async () => {
  const { a, b, t } = setup();
  a.next = lag(20);
  b.next = lag(null);
  const s = await t.check();
  assert.match(s.reason!, /u@a:3306 lags 20 s.*; replica u@b:3307 is not replicating/);
  await t.dispose();
  assert.equal(a.closed + b.closed, 2);
});

test('status: MariaDB reads every connection, the worst wins, NULL wins over numbers', async () => {
  const seen: string[] = [];
  const rows = [
    { Connection_name: '', Seconds_Behind_Master: 2, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' },
    { Connection_name: 'b', Seconds_Behind_Master: '7', Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' },
  ];
  const q = async (sql: string) => { seen.push(sql); return rows; };
  assert.deepEqual(await readReplicaLag(q, '10.11.19-MariaDB-log', 'r'), { seconds: 7, detail: "7 s behind (connection 'b')" });
  assert.deepEqual(seen, ['SHOW ALL SLAVES STATUS']);
  rows.push({ Connection_name: 'c', Seconds_Behind_Master: null as never, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'No' });
  const r = await readReplicaLag(q, '10.11.19-MariaDB-log', 'r');
  assert.equal(r.seconds, null);
  assert.match(r.detail, /not replicating \(connection 'c'\): IO thread Yes, SQL thread No/);
});

test('status: MySQL uses SHOW REPLICA STATUS, falling back to SHOW SLAVE STATUS before 8.0.22', async () => {
  const seen: string[] = [];
  const modern = async (sql: string) => { seen.push(sql); return [{ Seconds_Behind_Source: 4, Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes' }]; };
  assert.equal((await readReplicaLag(modern, '8.0.36', 'r')).seconds, 4);
  assert.deepEqual(seen, ['SHOW REPLICA STATUS']);
  const old = async (sql: string) => {
    seen.push(sql);
    if (sql === 'SHOW REPLICA STATUS') throw Object.assign(new Error('syntax'), { errno: 1064 });
    return [{ Seconds_Behind_Master: 9 }];
  };
  assert.equal((await readReplicaLag(old, '5.7.44', 'r')).seconds, 9);
  assert.deepEqual(seen.slice(1), ['SHOW REPLICA STATUS', 'SHOW SLAVE STATUS']);
  await assert.rejects(readReplicaLag(async () => [], '8.0.36', 'u@h:1'), (e) => e instanceof NotAReplicaError && /u@h:1/.test(e.message));
});

test('DSNs: parsed into connection options, named user@host:port, passwords never echoed', () => {
  const a = parseDsn('mysql://repl:s3cr%40t@replica-1:3317', 'replicas[0]');
  assert.deepEqual(a.connection, { host: 'replica-1', port: 3317, user: 'repl', password: 's3cr@t' });
  assert.equal(a.label, 'repl@replica-1:3317');
  assert.equal(parseDsn('mysql://u@h', 'x').label, 'u@h:3306');
  assert.equal(maskDsn('mysql://u:topsecret@h:1'), 'mysql://u:***@h:1');
  for (const bad of ['http://u:topsecret@h:1', 'mysql://:topsecret@h:1', 'not a dsn topsecret', 'u:topsecret@h:3306', 'notadsn:topsecret', 'mysql:topsecret', 'mysql://u:topsecret@h:port']) {
    assert.throws(() => parseDsn(bad, 'replicas[0]'), (e) => e instanceof ThrottlerOptionError && !e.message.includes('topsecret') && /replicas\[0\]/.test(e.message), bad);
  }
});

test('DSNs: TLS inherited from the main connection (--ssl-*), overridden one setting at a time by ?ssl-mode=…&ssl-ca=…', () => {
  const main = { mode: 'VERIFY_CA' as const, ca: '/etc/ca.pem', cert: '/etc/client.pem', key: '/etc/client.key' };
  assert.deepEqual(parseDsn('mysql://u:p@r1:3306', 'replicas[0]', main).connection.ssl, main);
  assert.deepEqual(parseDsn('mysql://u:p@r1:3306?ssl-ca=/r/ca.pem&ssl-mode=verify_identity', 'replicas[0]', main).connection.ssl,
    { ...main, ca: '/r/ca.pem', mode: 'VERIFY_IDENTITY' });
  assert.deepEqual(parseDsn('mysql://u:p@r1?ssl-mode=DISABLED', 'replicas[0]', main).connection.ssl?.mode, 'DISABLED');
  assert.deepEqual(parseDsn('mysql://u:p@r1?ssl-mode=REQUIRED', 'replicas[0]').connection.ssl, { mode: 'REQUIRED' });
  assert.equal(parseDsn('mysql://u:p@r1', 'replicas[0]').connection.ssl, undefined, 'no TLS anywhere: none');
  assert.throws(() => parseDsn('mysql://u:topsecret@r1?sslmode=REQUIRED', 'replicas[1]'),
    (e) => e instanceof ThrottlerOptionError && /replicas\[1\] has an unknown parameter "sslmode"/.test(e.message) && !e.message.includes('topsecret'));
  // the plugin's settings (shown by a dry run) name the replicas without credentials
  assert.deepEqual(throttlerPlugin({ replicas: ['mysql://u:topsecret@r1:3307?ssl-mode=REQUIRED'] }).settings?.replicas, ['u@r1:3307']);
});

test('throttlerPlugin refuses bad options at once, as InvalidOptionError, without the password', () => {
  assert.throws(() => throttlerPlugin({ replicas: ['postgres://u:topsecret@h'] }), (e) => e instanceof InvalidOptionError && !(e as Error).message.includes('topsecret'));
  assert.throws(() => throttlerPlugin({ maxLoad: -1 }), /maxLoad must be a whole number/);
  assert.throws(() => throttlerPlugin({ criticalLoad: 2.5 }), /criticalLoad/);
  assert.throws(() => throttlerPlugin({ interval: 'sometimes' }), /interval/);
  assert.throws(() => throttlerPlugin({ maxReplicaLag: '-5s' }), /maxReplicaLag/);
  assert.throws(() => throttlerPlugin({ throttleQuery: ' ' }), /throttleQuery/);
  assert.throws(() => throttlerPlugin({ throttlers: [{} as never] }), /throttlers\[0\] has no check/);
  const p = throttlerPlugin({ maxLoad: 0, replicas: ['mysql://u:p@h:1'], interval: '250ms', lagReadTimeout: '2s' });
  assert.equal(p.name, 'throttler');
});
