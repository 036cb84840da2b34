import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configProblems, configSchema, nearest } from '../../cli/config-schema.ts';
import { leafPaths, loadConfig, mergeConfig } from '../../cli/config.ts';
import { parseClientSection } from '../../cli/defaults-file.ts';
import { parseFlags, USAGE } from '../../cli/flags.ts';
import { effectiveSettings, formatSettings, resolveSettings } from '../../cli/settings.ts';
import { driverTls, tlsMode } from '../../core/connection/tls.ts';
import { configDefaults, InvalidOptionError } from '../../mod.ts';
import { SCHEMA_FILE, schemaText } from '../../scripts/config-schema.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'sluice-cfg-'));

test('config problems: an unknown key names the nearest known one, at any depth', () => {
  const problems = configProblems({ thread: 4, connection: { user: 'u', pasword: 'x' }, throttle: { maxLoadd: 3 }, zzzzzz: 1 });
  const messages = problems.map((p) => p.message).sort();
  assert.deepEqual(messages, [
    'unknown option "connection.pasword" (did you mean "connection.password"?)',
    'unknown option "thread" (did you mean "threads"?)',
    'unknown option "throttle.maxLoadd" (did you mean "throttle.maxLoad"?)',
    'unknown option "zzzzzz"',
  ]);
  assert.equal(nearest('Threads', ['threads', 'statement']), 'threads');
  assert.equal(nearest('checksumm', ['checksum', 'checkpoint']), 'checksum');
});

test('config problems: a wrong type names the key and the value, never a password or a DSN', () => {
  assert.deepEqual(configProblems({ threads: '4' }).map((p) => p.message), ['threads must be a number, got "4"']);
  assert.deepEqual(configProblems({ connection: { port: 70000 } }).map((p) => p.message), ['connection.port must be at most 65535, got 70000']);
  const secret = configProblems({ connection: { password: 123456789 }, throttle: { replicas: 'u:hunter2@h' } }).map((p) => p.message).join(' ');
  assert.doesNotMatch(secret, /123456789|hunter2/);
  assert.match(secret, /connection\.password must be a string, got \(value not shown\)/);
  assert.deepEqual(configProblems({ threads: 4, checksum: { maxPasses: 2 }, connection: { ssl: { mode: 'REQUIRED' } } }), []);
  assert.deepEqual(configProblems(configDefaults()), [], 'the defaults are a valid config');
});

test('loadConfig: a typo or a wrong type is one line naming the file and the key; "$schema" is allowed', async () => {
  const d = dir();
  writeFileSync(join(d, '.migraterc.json'), JSON.stringify({ $schema: './schema.json', thread: 4 }));
  await assert.rejects(loadConfig(undefined, d), (e: unknown) => e instanceof InvalidOptionError
    && e.message.includes(join(d, '.migraterc.json')) && e.message.includes('did you mean "threads"') && !e.message.includes('\n'));
  writeFileSync(join(d, '.migraterc.json'), JSON.stringify({ $schema: './schema.json', threads: 4 }));
  assert.deepEqual((await loadConfig(undefined, d)).config, { threads: 4 });
});

test('loadConfig: JSON and YAML syntax errors show the parser message and the line', async () => {
  const d = dir();
  writeFileSync(join(d, 'a.json'), '{\n  "threads": 4\n  "statement": "x"\n}\n');
  await assert.rejects(loadConfig('a.json', d), (e: unknown) => e instanceof InvalidOptionError
    && /cannot read .*a\.json: Expected ',' or '}' after property value in JSON.*\(line 3\)/.test(e.message) && !e.message.includes('\n'));
  writeFileSync(join(d, 'b.yaml'), 'threads: 4\n statement: [x\n');
  await assert.rejects(loadConfig('b.yaml', d), (e: unknown) => e instanceof InvalidOptionError
    && /b\.yaml: bad indentation of a mapping entry \(line 2, column 11\)/.test(e.message));
});

test('the committed JSON Schema is the one the zod schema generates (npm run schema)', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), schemaText());
  const schema = JSON.parse(schemaText()) as { additionalProperties: boolean; properties: Record<string, unknown> };
  assert.equal(schema.additionalProperties, false);
  assert.ok('threads' in schema.properties && 'connection' in schema.properties);
});

test('mergeConfig merges nested objects key by key and replaces everything else', () => {
  const merged = mergeConfig(
    { connection: { user: 'a', host: 'h', ssl: { ca: '/ca' } }, throttle: { replicas: ['x'] }, checksum: { maxPasses: 2 } },
    { connection: { user: 'b', ssl: { mode: 'VERIFY_CA' } }, throttle: { replicas: ['y'] }, checksum: false },
  );
  assert.deepEqual(merged, { connection: { user: 'b', host: 'h', ssl: { ca: '/ca', mode: 'VERIFY_CA' } }, throttle: { replicas: ['y'] }, checksum: false });
  assert.deepEqual([...leafPaths(merged).keys()].sort(), ['checksum', 'connection.host', 'connection.ssl.ca', 'connection.ssl.mode', 'connection.user', 'throttle.replicas']);
});

test('defaults file: the [client] section, as the mysql client reads it', () => {
  const text = [
    '# a comment', '[mysqld]', 'user = mysql', '[client]', 'user = app', 'password = "p#ss \\"w\\" rd"  # trailing comment',
    'host=db.internal', '--port = 3310', 'ssl_ca = /etc/ca.pem', 'ssl-mode = verify_ca', 'default-character-set = utf8mb4',
    '; another comment', '[mysql]', 'user = ignored',
  ].join('\n');
  assert.deepEqual(parseClientSection(text, 'my.cnf'), {
    user: 'app', password: 'p#ss "w" rd', host: 'db.internal', port: 3310, ssl: { ca: '/etc/ca.pem', mode: 'VERIFY_CA' },
  });
  assert.throws(() => parseClientSection('[client]\n!include /etc/other.cnf', 'my.cnf'), /my\.cnf line 2: !include is not supported/);
  assert.throws(() => parseClientSection('[client]\nport = abc', 'my.cnf'), /line 2: port must be a whole number/);
  assert.throws(() => parseClientSection("[client]\npassword = 'open", 'my.cnf'), (e: unknown) => e instanceof InvalidOptionError && !e.message.includes('open'));
});

test('settings: precedence defaults < config file < MYSQL_PWD < --defaults-file < flags < --ask-pass, each value with its source', async () => {
  const d = dir();
  const cfg = join(d, 'migrate.json');
  writeFileSync(cfg, JSON.stringify({ threads: 3, connection: { user: 'cfg', password: 'cfg-pw', host: 'cfg-host', database: 'shop' } }));
  const cnf = join(d, 'my.cnf');
  writeFileSync(cnf, '[client]\nuser = file-user\npassword = file-pw\nport = 3310\n');
  const flags = (extra: string[]) => parseFlags(['--config', cfg, '--defaults-file', cnf, '--host', 'flag-host', ...extra]);

  let s = await resolveSettings(flags([]), {});
  assert.deepEqual(s.config.connection, { user: 'file-user', password: 'file-pw', host: 'flag-host', database: 'shop', port: 3310 });
  assert.equal(s.sources.get('connection.password'), `--defaults-file ${cnf} [client]`);
  assert.equal(s.sources.get('connection.host'), 'flag --host');
  assert.equal(s.sources.get('connection.database'), `config file ${cfg}`);

  s = await resolveSettings(parseFlags(['--config', cfg]), { MYSQL_PWD: 'env-pw' });
  assert.equal(s.config.connection?.password, 'env-pw');
  assert.equal(s.sources.get('connection.password'), 'env MYSQL_PWD');

  s = await resolveSettings(flags(['--password', 'flag-pw']), { MYSQL_PWD: 'env-pw' });
  assert.equal(s.config.connection?.password, 'flag-pw');
  s = await resolveSettings(flags(['--password', 'flag-pw', '--ask-pass']), { MYSQL_PWD: 'env-pw' }, async () => 'asked-pw');
  assert.equal(s.config.connection?.password, 'asked-pw');
  assert.equal(s.sources.get('connection.password'), '--ask-pass');

  const shown = effectiveSettings(s);
  assert.deepEqual(shown.get('threads'), { value: 3, source: `config file ${cfg}` });
  assert.deepEqual(shown.get('targetChunkMs'), { value: 500, source: 'default' });
  assert.deepEqual(shown.get('connection.password'), { value: '********', source: '--ask-pass' });
  for (const json of [false, true]) {
    const text = formatSettings(s, json);
    for (const pw of ['asked-pw', 'flag-pw', 'env-pw', 'file-pw', 'cfg-pw']) assert.ok(!text.includes(pw), `${pw} shown`);
  }
});

test('--print-config hides replica passwords and never shows a value that is not a DSN', async () => {
  const flags = parseFlags(['--user', 'u', '--replica', 'mysql://r:topsecret@h:1', '--replica', 'u:leaked@h:2', '--print-config']);
  const text = formatSettings(await resolveSettings(flags, {}), false);
  assert.match(text, /mysql:\/\/r:\*\*\*@h:1/);
  assert.doesNotMatch(text, /topsecret|leaked/);
});

/** Every option key of the config schema, dotted (the leaves of nested objects; checksum's object form). */
function schemaPaths(shape: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([key, field]) => {
    let inner = field as { unwrap?: () => unknown; def?: { type?: string; options?: unknown[] }; shape?: Record<string, unknown> };
    while (inner.unwrap && inner.def?.type === 'optional') inner = inner.unwrap() as typeof inner;
    if (inner.def?.type === 'union') inner = (inner.def.options!.find((o) => (o as typeof inner).shape) ?? inner) as typeof inner;
    return inner.shape ? schemaPaths(inner.shape, `${prefix}${key}.`) : [`${prefix}${key}`];
  });
}

/** Options with no default value: absent from --print-config until something sets them. */
const NO_DEFAULT = new Set([
  'connection.user', 'connection.password', 'connection.database', 'connection.socketPath', 'connection.ssl.ca', 'connection.ssl.cert',
  'connection.ssl.key', 'statement', 'sqlMode', 'timeZone', 'serverId', 'plugins', 'throttle.replicas',
  'throttle.pauseFile', 'throttle.throttleQuery', 'throttle.throttlers', 'hooks.path', 'hooks.hint', 'hooks.hintOwner', 'hooks.hintToken',
  'metrics.port', 'strict', 'disablePlugins', 'controlPort',
]);

test('--print-config shows every option of the schema with a default, each with its source; set ones with the layer that set them', async () => {
  const all = schemaPaths(configSchema.shape as Record<string, unknown>);
  assert.ok(all.includes('killBlockersAfter') && all.includes('connection.ssl.mode'), all.join(' '));
  const shown = effectiveSettings(await resolveSettings(parseFlags(['--user', 'u']), {}));
  for (const path of all) {
    if (NO_DEFAULT.has(path)) continue;
    assert.ok(shown.has(path), `--print-config lacks ${path} (add its default to configDefaults, or to NO_DEFAULT here if it has none)`);
    assert.ok(shown.get(path)!.source.startsWith('default'), `${path}: ${shown.get(path)!.source}`);
  }
  for (const path of shown.keys()) assert.ok(all.includes(path) || path === 'connection.user', `${path} is shown but is no option`);
  // the lock options: their defaults, the one that follows lockWaitTimeout following it, and each flag as the source
  assert.deepEqual(shown.get('killBlockers'), { value: true, source: 'default' });
  assert.deepEqual(shown.get('killBlockersAfter'), { value: 15, source: 'default: half of lockWaitTimeout' });
  assert.deepEqual(shown.get('lockStallTimeout'), { value: 2, source: 'default' });
  const set = effectiveSettings(await resolveSettings(parseFlags(['--user', 'u', '--lock-wait-timeout', '8', '--no-kill-blockers', '--lock-stall-timeout', '3']), {}));
  assert.deepEqual(set.get('killBlockers'), { value: false, source: 'flag --no-kill-blockers' });
  assert.deepEqual(set.get('killBlockersAfter'), { value: 4, source: 'default: half of lockWaitTimeout' });
  assert.deepEqual(set.get('lockStallTimeout'), { value: 3, source: 'flag --lock-stall-timeout' });
  const after = effectiveSettings(await resolveSettings(parseFlags(['--user', 'u', '--kill-blockers-after', '1.5']), {}));
  assert.deepEqual(after.get('killBlockersAfter'), { value: 1.5, source: 'flag --kill-blockers-after' });
});

test('--help shows every default, including the connection defaults, from the same values the engine uses', () => {
  const d = configDefaults();
  for (const expected of [
    `(default ${d.connection?.host})`, `(default ${d.connection?.port})`, `(default ${d.threads})`, `(default ${d.targetChunkMs})`,
    `(default ${d.lockWaitTimeout})`, `(default ${d.cutoverAttempts})`, `(default ${d.checkpoint?.interval})`, `(default ${d.checkpoint?.maxAge})`,
  ]) assert.ok(USAGE.includes(expected), `--help lacks ${expected}`);
  for (const line of USAGE.split('\n').filter((l) => /^ {2}--/.test(l) && !/--(help|version|statement|config|json|quiet|print-config|user|password|ask-pass|defaults-file|ssl-ca)\b/.test(l))) {
    assert.match(line, /default/, `no default in: ${line}`);
  }
});

test('TLS: modes map onto the driver as the mysql client means them', () => {
  const d = dir();
  const ca = join(d, 'ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
  assert.equal(driverTls(undefined), undefined);
  assert.equal(driverTls({ mode: 'DISABLED', ca }), undefined);
  assert.deepEqual(driverTls({ mode: 'REQUIRED' }), { rejectUnauthorized: false, verifyIdentity: false });
  const verifyCa = driverTls({ ca })!;
  assert.equal(tlsMode({ ca }), 'VERIFY_CA');
  assert.equal(verifyCa.rejectUnauthorized, true);
  assert.equal(verifyCa.verifyIdentity, false, 'VERIFY_CA does not check the host name');
  const identity = driverTls({ ca, mode: 'VERIFY_IDENTITY' })!;
  assert.equal(identity.rejectUnauthorized, true);
  assert.equal(identity.verifyIdentity, true);
  assert.match(identity.ca!, /BEGIN CERTIFICATE/);
  assert.throws(() => driverTls({ mode: 'VERIFY_CA' }), /needs the CA certificate: pass --ssl-ca/);
  assert.throws(() => driverTls({ mode: 'PREFERRED' as 'REQUIRED' }), /ssl mode must be one of DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY/);
  assert.throws(() => driverTls({ ca: join(d, 'missing.pem') }), (e: unknown) => e instanceof InvalidOptionError && /cannot read the ssl ca file .*missing\.pem \(ENOENT\)/.test(e.message));
});
