/**
 * The CLI's config and credentials, through the real `migrate` process against the sandbox: config
 * typos caught with nothing changed, --print-config precedence with passwords hidden, --defaults-file,
 * --ask-pass in a real pseudo-terminal, connection failures as one line, and TLS against a second
 * sandbox that requires it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql, { type Pool } from 'mysql2/promise';
import { auxPort, startSandbox, stopSandbox, testServer, type ServerInfo } from '../../scripts/sandbox.ts';
import { eventSchema } from '../../cli/event-schema.ts';
import { connectionFlags, runCli } from '../support/cli.ts';
import { fileDatabases } from '../support/db.ts';
import { ReplicaSandbox } from '../support/replica.ts';

const DB = 'cli_config_test';
const dbs = fileDatabases();
let pool: Pool;
const server = testServer();

before(async () => { pool = await dbs.database(DB); });

async function makeTable(name: string): Promise<void> {
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL)`);
  await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq) FROM seq_1_to_500`);
}

async function state(table: string): Promise<{ create: string; tables: string[] }> {
  const [c] = await pool.query(`SHOW CREATE TABLE ${DB}.${table}`);
  const [t] = await pool.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [DB]);
  return { create: (c as Array<Record<string, string>>)[0]!['Create Table']!, tables: (t as Array<{ t: string }>).map((r) => r.t) };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'sluice-cli-config-'));
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('migrate: error:'));

test('a config file typo is one line naming the file, the key and the nearest option; nothing changes', async () => {
  await makeTable('t_typo');
  const beforeState = await state('t_typo');
  const dir = tmp();
  writeFileSync(join(dir, '.migraterc.json'), JSON.stringify({ thread: 2, statement: 'ALTER TABLE t_typo ADD INDEX (v)', tryNative: false }));
  const r = await runCli(connectionFlags(DB), { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(errorLines(r.stderr), [`migrate: error: ${join(dir, '.migraterc.json')}: unknown option "thread" (did you mean "threads"?): fix the config file`]);
  assert.deepEqual(await state('t_typo'), beforeState);

  writeFileSync(join(dir, '.migraterc.json'), JSON.stringify({ threads: 'two', statement: 'ALTER TABLE t_typo ADD INDEX (v)' }));
  const typed = await runCli(connectionFlags(DB), { cwd: dir });
  assert.equal(typed.code, 2, typed.stderr);
  assert.match(errorLines(typed.stderr)[0]!, /\.migraterc\.json: threads must be a number, got "two": fix the config file$/);
  assert.doesNotMatch(typed.stderr, /--threads/, 'names a flag the user never passed');
  assert.deepEqual(await state('t_typo'), beforeState);
});

test('with --json, a flag or config error is also a JSON event on stdout: class name, code, the same one line', async () => {
  await makeTable('t_jsonerr');
  const beforeState = await state('t_jsonerr');
  const dir = tmp();
  const statement = ['--statement', 'ALTER TABLE t_jsonerr ADD INDEX (v)'];
  writeFileSync(join(dir, '.migraterc.json'), JSON.stringify({ thread: 2 }));
  const cases: Array<[string[], string | undefined, RegExp]> = [
    [['--threads', 'two'], undefined, /^--threads must be a whole number, got "two"$/],
    [['--no-such-flag'], undefined, /Unknown option '--no-such-flag'.*: see migrate --help$/],
    [[], dir, /\.migraterc\.json: unknown option "thread" \(did you mean "threads"\?\): fix the config file$/],
    [['--threads', '0'], undefined, /^threads must be a whole number from 1 to 64, got 0: fix --threads$/],
  ];
  for (const [flags, cwd, expected] of cases) {
    const r = await runCli([...connectionFlags(DB), ...statement, ...flags, '--json'], cwd ? { cwd } : {});
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.length, 1, r.stdout);
    const [event] = events;
    assert.equal(event!.type, 'failed');
    assert.ok(eventSchema.safeParse(event).success, `the documented failed event: ${r.stdout}`);
    assert.equal(event!.name, 'InvalidOptionError');
    assert.equal(event!.code, 'INVALID_OPTION');
    assert.match(String(event!.error), expected);
    assert.deepEqual(errorLines(r.stderr), [`migrate: error: ${String(event!.error)}`]);
  }
  // an error inside the run is the migration's own failed event, not a second one
  const run = await runCli([...connectionFlags(DB), '--statement', 'ALTER TABLE no_such_table ADD INDEX (v)', '--json']);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string }).filter((e) => e.type === 'failed').length, 1, run.stdout);
  assert.deepEqual(await state('t_jsonerr'), beforeState);
});

test('--print-config: defaults, config file, MYSQL_PWD, --defaults-file and flags, each with its source, no password, no connection', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'migrate.config.json'), JSON.stringify({
    threads: 3, keepOldTable: true, lockWaitTimeout: 10, lockStallTimeout: 4, connection: { user: 'cfg-user', password: 'cfg-secret-1', database: 'shop', port: 1 },
    throttle: { replicas: ['mysql://repl:replica-secret-2@replica:3306'] },
  }));
  writeFileSync(join(dir, 'my.cnf'), '[client]\nuser = file-user\npassword = "file-secret-3"\n');
  const r = await runCli(['--config', 'migrate.config.json', '--defaults-file', 'my.cnf', '--threads', '5', '--host', 'db.example', '--lock-stall-timeout', '3', '--no-kill-blockers', '--print-config'], {
    cwd: dir, env: { MYSQL_PWD: 'env-secret-4' },
  });
  assert.equal(r.code, 0, r.stderr);
  const line = (key: string) => r.stdout.split('\n').find((l) => l.startsWith(`${key} `)) ?? `(no ${key})`;
  const cfg = `(config file ${join(dir, 'migrate.config.json')})`;
  assert.match(line('threads'), /= 5 {2}\(flag --threads\)$/);
  assert.match(line('connection.host'), /= "db\.example" {2}\(flag --host\)$/);
  assert.match(line('connection.user'), /= "file-user" {2}\(--defaults-file my\.cnf \[client\]\)$/);
  assert.match(line('connection.password'), /= "\*\*\*\*\*\*\*\*" {2}\(--defaults-file my\.cnf \[client\]\)$/);
  assert.ok(line('connection.database').endsWith(`= "shop"  ${cfg}`), line('connection.database'));
  assert.ok(line('keepOldTable').endsWith(`= true  ${cfg}`), line('keepOldTable'));
  assert.match(line('targetChunkMs'), /= 500 {2}\(default\)$/);
  // the lock options: a flag over the file, a default that follows the file's lockWaitTimeout
  assert.ok(line('lockWaitTimeout').endsWith(`= 10  ${cfg}`), line('lockWaitTimeout'));
  assert.match(line('lockStallTimeout'), /= 3 {2}\(flag --lock-stall-timeout\)$/);
  assert.match(line('killBlockers'), /= false {2}\(flag --no-kill-blockers\)$/);
  assert.match(line('killBlockersAfter'), /= 5 {2}\(default: half of lockWaitTimeout\)$/);
  assert.match(line('checksum.threads'), /= 5 {2}\(default: the migration's threads\)$/);
  assert.match(line('throttle.replicas'), /mysql:\/\/repl:\*\*\*@replica:3306/);
  for (const secret of ['cfg-secret-1', 'replica-secret-2', 'file-secret-3', 'env-secret-4']) {
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${secret} printed`);
  }

  const json = await runCli(['--config', 'migrate.config.json', '--print-config', '--json'], { cwd: dir, env: { MYSQL_PWD: 'env-secret-4' } });
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as { type: string; settings: Record<string, { value: unknown; source: string }> };
  assert.equal(doc.type, 'config');
  assert.deepEqual(doc.settings['connection.password'], { value: '********', source: 'env MYSQL_PWD' });
  assert.ok(!json.stdout.includes('env-secret-4'));
});

test('--defaults-file supplies the credentials of a real migration and outranks MYSQL_PWD; a wrong password is one line', async () => {
  await makeTable('t_cnf');
  const dir = tmp();
  writeFileSync(join(dir, 'my.cnf'), `[client]\nuser=${server.user}\npassword='${server.password}'\nhost=${server.host}\nport=${server.port}\n`);
  const r = await runCli(['--defaults-file', join(dir, 'my.cnf'), '--database', DB, '--no-native', '--statement', 'ALTER TABLE t_cnf ADD INDEX idx_v (v)'], {
    env: { MYSQL_PWD: 'wrong-env-password' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match((await state('t_cnf')).create, /KEY `idx_v`/);

  const denied = await runCli([...connectionFlags(DB), '--statement', 'ALTER TABLE t_cnf ADD INDEX idx_w (v)'], { env: { MYSQL_PWD: 'wrong-env-password' } });
  assert.equal(denied.code, 2, denied.stderr);
  assert.deepEqual(errorLines(denied.stderr), [
    `migrate: error: cannot connect to ${server.host}:${server.port} as ${server.user}: access denied — check --user and the password (MYSQL_PWD, --ask-pass, --defaults-file)`,
  ]);
  assert.ok(!denied.stderr.includes('wrong-env-password'));
});

test('--password on the command line works but is warned about; the password itself is never printed', async () => {
  await makeTable('t_pwflag');
  const r = await runCli([...connectionFlags(DB), '--password', server.password, '--no-native', '--statement', 'ALTER TABLE t_pwflag ADD INDEX (v)'], {
    env: { MYSQL_PWD: 'wrong-env-password' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /migrate: warning: --password on the command line is visible to every local user \(ps\): use MYSQL_PWD, --ask-pass or --defaults-file/);
});

test('connection failures are one line with the fix, exit 2: nothing listening, unknown host', async () => {
  const closed = auxPort('nothing');
  const refused = await runCli(['--host', '127.0.0.1', '--port', String(closed), '--user', 'x', '--statement', 'ALTER TABLE t ADD INDEX (v)']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.deepEqual(errorLines(refused.stderr), [`migrate: error: cannot connect to 127.0.0.1:${closed}: connection refused — is the server running, is --port right?`]);
  const unknown = await runCli(['--host', 'no-such-host.invalid', '--user', 'x', '--statement', 'ALTER TABLE t ADD INDEX (v)']);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.deepEqual(errorLines(unknown.stderr), ['migrate: error: cannot connect to no-such-host.invalid:3306: host not found — check --host']);
});

// ── --ask-pass, in a real pseudo-terminal (util-linux `script`) ─────────────────────────────────
const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const hasScript = spawnSync('script', ['--version']).status === 0;

function inPty(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, '--import', TSX, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  delete env.MYSQL_PWD;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let answered = false;
  const onData = (d: Buffer) => {
    output += d.toString();
    if (!answered && output.includes('Password: ')) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

test('--ask-pass prompts on a terminal without echo and the migration uses the password', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  await makeTable('t_ask');
  const r = await inPty([...connectionFlags(DB), '--ask-pass', '--no-native', '--statement', 'ALTER TABLE t_ask ADD INDEX idx_v (v)'], server.password);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Password: /);
  assert.ok(!r.output.includes(server.password), 'the typed password was echoed or printed');
  assert.match((await state('t_ask')).create, /KEY `idx_v`/);
});

test('--ask-pass without a terminal is one line pointing at MYSQL_PWD and --defaults-file', async () => {
  const r = await runCli([...connectionFlags(DB), '--ask-pass', '--statement', 'ALTER TABLE t ADD INDEX (v)']);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(errorLines(r.stderr), ['migrate: error: --ask-pass needs a terminal: in scripts, use MYSQL_PWD or --defaults-file']);
});

/** A CA and a server certificate for the host name sluice-test.invalid, in a new folder. */
function makeCerts(): string {
  const certs = tmp();
  const sh = (cmd: string) => { const r = spawnSync('sh', ['-c', cmd], { cwd: certs, encoding: 'utf8' }); assert.equal(r.status, 0, r.stderr); };
  sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Sluice test CA"');
  sh('openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=sluice-test.invalid"');
  sh('printf "subjectAltName=DNS:sluice-test.invalid\\n" > ext.cnf && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf');
  return certs;
}
const tlsServerArgs = (certs: string) => [`--ssl-ca=${join(certs, 'ca.pem')}`, `--ssl-cert=${join(certs, 'server.pem')}`, `--ssl-key=${join(certs, 'server.key')}`];

// ── TLS against a second sandbox that requires it ───────────────────────────────────────────────
test('TLS: --ssl-mode VERIFY_CA migrates as a user that REQUIRE SSL (pool and binlog stream); a wrong host name, no CA or no TLS fail in one line', {
  skip: process.env.SLUICE_TEST_DSN ? 'SLUICE_TEST_DSN points the suite at another server' : false,
}, async () => {
  const certs = makeCerts();
  const opts = { port: auxPort('replica2'), name: 'tls-test', serverId: 31, extraArgs: tlsServerArgs(certs) };
  await stopSandbox(opts);
  const tls: ServerInfo = await startSandbox(opts);
  const admin = await mysql.createConnection(tls);
  try {
    await admin.query('DROP DATABASE IF EXISTS tls_db');
    await admin.query('CREATE DATABASE tls_db');
    await admin.query('CREATE TABLE tls_db.t (id INT PRIMARY KEY, v VARCHAR(20)) ');
    await admin.query("INSERT INTO tls_db.t SELECT seq, CONCAT('v', seq) FROM tls_db.seq_1_to_300");
    await admin.query("CREATE OR REPLACE USER 'tls_user'@'%' IDENTIFIED BY 'tls-pw-5' REQUIRE SSL");
    await admin.query("GRANT ALL PRIVILEGES ON *.* TO 'tls_user'@'%'");
    const base = ['--host', '127.0.0.1', '--port', String(tls.port), '--user', 'tls_user', '--database', 'tls_db', '--no-native'];
    const env = { MYSQL_PWD: 'tls-pw-5' };

    const ok = await runCli([...base, '--ssl-mode', 'VERIFY_CA', '--ssl-ca', join(certs, 'ca.pem'), '--statement', 'ALTER TABLE t ADD INDEX idx_v (v)'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    const [rows] = await admin.query('SHOW CREATE TABLE tls_db.t');
    assert.match((rows as Array<Record<string, string>>)[0]!['Create Table']!, /KEY `idx_v`/);

    const cases: Array<[string[], string]> = [
      [['--ssl-mode', 'VERIFY_IDENTITY', '--ssl-ca', join(certs, 'ca.pem')], "the server's certificate does not name this host — use the host it names, or --ssl-mode VERIFY_CA"],
      [['--ssl-mode', 'VERIFY_CA'], 'ssl mode VERIFY_CA needs the CA certificate: pass --ssl-ca PATH (or connection.ssl.ca)'],
      [['--ssl-mode', 'REQUIRED', '--ssl-ca', join(certs, 'missing.pem')], `cannot read the ssl ca file ${join(certs, 'missing.pem')} (ENOENT): fix --ssl-ca`],
      [[], `cannot connect to 127.0.0.1:${tls.port} as tls_user: access denied — check --user and the password (MYSQL_PWD, --ask-pass, --defaults-file)`],
    ];
    for (const [flags, expected] of cases) {
      const r = await runCli([...base, ...flags, '--statement', 'ALTER TABLE t ADD INDEX idx_w (v)'], { env });
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      const lines = errorLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.endsWith(expected), `${flags.join(' ')}: ${lines[0]}`);
      assert.ok(!r.stderr.includes('tls-pw-5'));
    }
  } finally {
    await admin.end();
    await stopSandbox(opts);
  }
});

test('TLS for replicas: a replica whose user REQUIRE SSL is watched over TLS set in its DSN; without it, or REQUIRED against a server without TLS, one line', {
  skip: process.env.SLUICE_TEST_DSN ? 'SLUICE_TEST_DSN points the suite at another server' : false,
}, async () => {
  const certs = makeCerts();
  const replica = new ReplicaSandbox({
    port: auxPort('replica2'), name: 'tls-replica', serverId: 32, extraArgs: tlsServerArgs(certs),
    wildDoTable: 'sluice_tls_replicates_nothing%.%', // the test's schema predates the replica: replicating it would stop its SQL thread
  });
  await replica.stop();
  await replica.start();
  try {
    await replica.query("CREATE OR REPLACE USER 'tls_watch'@'%' IDENTIFIED BY 'tls-watch-pw-6' REQUIRE SSL");
    await replica.query("GRANT ALL PRIVILEGES ON *.* TO 'tls_watch'@'%'");
    await makeTable('t_tlsrep');
    const dsn = `mysql://tls_watch:tls-watch-pw-6@127.0.0.1:${replica.server.port}`;
    const ca = join(certs, 'ca.pem');
    const migrate = (replicaDsn: string, statement: string) => runCli([...connectionFlags(DB), '--no-native', '--replica', replicaDsn, '--statement', statement]);

    const ok = await migrate(`${dsn}?ssl-mode=VERIFY_CA&ssl-ca=${encodeURIComponent(ca)}`, 'ALTER TABLE t_tlsrep ADD INDEX idx_v (v)');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match((await state('t_tlsrep')).create, /KEY `idx_v`/);

    const plain = await migrate(dsn, 'ALTER TABLE t_tlsrep ADD INDEX idx_w (v)');
    assert.equal(plain.code, 2, plain.stderr);
    assert.equal(errorLines(plain.stderr).length, 1, plain.stderr);
    assert.match(errorLines(plain.stderr)[0]!, /replica tls_watch@127\.0\.0\.1:\d+ unreadable \(.*Access denied/);

    const noTls = await migrate(`mysql://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}?ssl-mode=REQUIRED`, 'ALTER TABLE t_tlsrep ADD INDEX idx_w (v)');
    assert.equal(noTls.code, 2, noTls.stderr);
    assert.deepEqual(errorLines(noTls.stderr).length, 1, noTls.stderr);
    assert.match(errorLines(noTls.stderr)[0]!, /unreadable \(it does not offer TLS, which the ssl mode requires: enable TLS on it, or add \?ssl-mode=DISABLED to its DSN\)/);
    assert.doesNotMatch((await state('t_tlsrep')).create, /idx_w/);
  } finally {
    await replica.stop();
  }
});
