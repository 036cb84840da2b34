/** Command-line flags of `migrate` and how they map onto options (flags override the config file). */
import { parseArgs } from 'node:util';
import { configDefaults, InvalidOptionError } from '../mod.ts';
import type { SluiceConfig } from '../mod.ts';

const D = configDefaults();

export const USAGE = `Usage: migrate --statement "ALTER TABLE t …" [options]
       migrate cleanup --table T [--database D] [--yes] [connection options]
                           list (with --yes: drop) what an abandoned migration of T left: _T_new, _T_chkpnt,
                           T~new, T~old, and the schema's _sluice_sentinel when no migration in it is running
       migrate ctl [--socket PATH | --port N] [--json] COMMAND
                           steer a running migration: status, pause, resume, threads=N, chunk-time=D,
                           max-load=N, critical-load=N, max-replica-lag=D, cutover, abort, ?NAME, help

Connection (precedence: flags > --defaults-file > MYSQL_PWD > config file > defaults):
  --host H                 server host (default ${D.connection?.host})
  --port P                 server port (default ${D.connection?.port})
  --user U                 user (required)
  --password PW            password; visible to every local user in ps: prefer MYSQL_PWD, --ask-pass or --defaults-file
  --ask-pass               prompt for the password on the terminal (no echo)
  --defaults-file PATH     read user, password, host, port, socket and ssl-* from the file's [client] section
  --database D             schema of the table (default: the statement's db.table, else none)
  --socket PATH            Unix socket instead of host/port (default none: TCP)
  --ssl-mode M             DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY (default DISABLED; VERIFY_CA with --ssl-ca)
  --ssl-ca PATH  --ssl-cert PATH  --ssl-key PATH   PEM files for TLS
Migration:
  --statement SQL          the ALTER TABLE to run online (required)
  --threads N              parallel copy workers (default ${D.threads})
  --target-chunk-time MS   target time per copy chunk (default ${D.targetChunkMs})
  --lock-wait-timeout S    metadata lock wait for cutover / native ALTER (default ${D.lockWaitTimeout})
  --defer-cutover          wait for \`DROP TABLE _sluice_sentinel\` before cutting over (default off)
  --keep-old-table         keep the original table as _<table>_old (default: dropped)
  --no-defer-indexes       copy into a shadow with all its indexes (default: plain secondary indexes built after the copy; --defer-indexes)
  --no-native              never try ALGORITHM=INSTANT/NOCOPY/INPLACE; always copy (default: try native first)
  --cutover-attempts N     cutover retries (default ${D.cutoverAttempts})
  --copy-yields            copy and replay yield to the application's row locks (NOWAIT/SKIP LOCKED), slower on hot tables (default off)
  --discard-foreign-keys   the new table gets none of the table's own foreign keys (default off: they are kept)
  --alter-foreign-keys-method M  other tables' foreign keys on the table: none (refuse), rebuild-constraints or drop-swap (not atomic) (default ${D.alterForeignKeysMethod})
  --rebuild-child-max-rows N  rebuild-constraints only for child tables of at most N rows (default ${D.rebuildChildMaxRows})
  --lock-conflict-timeout S  fail a copy chunk only after S seconds of lock conflicts without progress (default ${D.lockConflictTimeout})
  --sql-mode MODES         sql_mode the server judges the ALTER under, as your sessions would (default: the server's global one)
  --time-zone TZ           time zone of DATETIME/TIMESTAMP conversions, as your sessions (default: the server's global one)
  --reconnect-timeout S    how long a lost server or binlog stream is waited for before the run fails, keeping its checkpoint (default ${D.reconnectTimeout})
  --no-kill-blockers       never KILL sessions that keep holding the table's metadata lock (default: killed)
  --kill-blockers-after S  wait this long for such a session before killing it (default: half of --lock-wait-timeout)
  --lock-stall-timeout S   longest a pending table lock may hold up the application's queries before it is retried (default 2)
  --no-checksum            skip the checksum before cutover (default: checksum on; not recommended)
  --dry-run                change nothing: run every check and refusal, print the plan and exit (default off)
                           (the plan: native or copy, shadow table, key, size, copy-time estimate, plugins)
Resume:
  --strict                 refuse (typed error) instead of starting fresh when a checkpoint cannot be used (default off)
  --checkpoint-interval D  least time between checkpoint writes (default ${D.checkpoint?.interval})
  --checkpoint-max-age D   oldest checkpoint to resume from (default ${D.checkpoint?.maxAge})
Throttling (the copier pauses; replay never does):
  --max-load N             pause while Threads_running > N (default 0: off)
  --critical-load N        abort (keeping the checkpoint) when Threads_running > N (default 0: off)
  --replica DSN            mysql://user:pass@host:port of a replica to watch (repeatable; default none)
  --max-replica-lag DUR    pause while a replica lags more (default ${String(D.throttle?.maxReplicaLag)})
  --pause-file PATH        pause while this file exists (default none)
  --throttle-query SQL     pause while this query returns non-zero (default none)
  --throttle-fail-after D  stop (keeping the checkpoint) when throttle checks fail this long (default ${String(D.throttle?.failAfter)})
gh-ost hooks (plugins/hooks: gh-ost-on-startup*, -on-before-cut-over*, … with GH_OST_* variables):
  --hooks-path DIR         run the hooks in DIR (default none: off)
  --hooks-hint S  --hooks-hint-owner S  --hooks-hint-token S   passed as GH_OST_HOOKS_HINT* (default empty)
  --hooks-status-interval D  how often gh-ost-on-status runs (default ${String(D.hooks?.statusInterval)})
  --hooks-timeout D        longest one hook may run before it is killed and fails (default ${String(D.hooks?.timeout)})
Metrics (plugins/metrics):
  --metrics-port N         serve Prometheus metrics at http://HOST:N/metrics (default none: off; 0 = any free port)
  --metrics-host H         address to bind (default ${String(D.metrics?.host)}: loopback only)
Control (migrate ctl talks to it):
  --control-socket PATH    Unix socket for control commands, owner-only (default $TMPDIR/sluice-<port>-<schema>.<table>.sock)
  --no-control-socket      no control socket (default: one, its path printed at start)
  --control-port N         also take control commands on 127.0.0.1:N (default none: off; 0 = any free port)
Output:
  --config PATH            config file (default: search for migrate.config.* / .migraterc*)
  --print-config           print the effective settings with the source of each, and exit (password hidden)
  --json                   machine-readable events, one JSON object per line on stdout
  --quiet                  only the final line
  --help, --version`;

export interface CliFlags {
  /** A subcommand (\`cleanup\`), or undefined for a migration. */
  command?: 'cleanup';
  /** cleanup: the table (\`T\` or \`db.T\`) and whether to drop what is found. */
  table?: string;
  yes: boolean;
  config?: string;
  defaultsFile?: string;
  askPass: boolean;
  printConfig: boolean;
  /** --password was given on the command line (visible in ps: warned about). */
  passwordOnCommandLine: boolean;
  /** For each dotted option path the flags set, the flag that set it. */
  sources: Map<string, string>;
  json: boolean;
  quiet: boolean;
  help: boolean;
  version: boolean;
  /** What the flags set, to lay over the config file. */
  overrides: SluiceConfig;
}

function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidOptionError(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

export function parseFlags(argv: readonly string[]): CliFlags {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        host: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' },
        database: { type: 'string' }, socket: { type: 'string' }, statement: { type: 'string' },
        threads: { type: 'string' }, 'target-chunk-time': { type: 'string' }, 'lock-wait-timeout': { type: 'string' },
        'defer-cutover': { type: 'boolean' }, 'keep-old-table': { type: 'boolean' }, 'no-native': { type: 'boolean' },
        'defer-indexes': { type: 'boolean' }, 'no-defer-indexes': { type: 'boolean' },
        'cutover-attempts': { type: 'string' }, 'reconnect-timeout': { type: 'string' }, 'lock-conflict-timeout': { type: 'string' }, 'copy-yields': { type: 'boolean' }, 'dry-run': { type: 'boolean' },
        'discard-foreign-keys': { type: 'boolean' }, 'alter-foreign-keys-method': { type: 'string' }, 'rebuild-child-max-rows': { type: 'string' },
        'sql-mode': { type: 'string' }, 'time-zone': { type: 'string' }, 'no-checksum': { type: 'boolean' }, strict: { type: 'boolean' },
        'no-kill-blockers': { type: 'boolean' }, 'kill-blockers-after': { type: 'string' }, 'lock-stall-timeout': { type: 'string' },
        'checkpoint-interval': { type: 'string' }, 'checkpoint-max-age': { type: 'string' },
        'max-load': { type: 'string' }, 'critical-load': { type: 'string' }, replica: { type: 'string', multiple: true },
        'max-replica-lag': { type: 'string' }, 'pause-file': { type: 'string' }, 'throttle-query': { type: 'string' },
        'throttle-fail-after': { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' },
        quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
        'ask-pass': { type: 'boolean' }, 'defaults-file': { type: 'string' }, 'print-config': { type: 'boolean' },
        table: { type: 'string' }, yes: { type: 'boolean' },
        'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' },
        'hooks-path': { type: 'string' }, 'hooks-hint': { type: 'string' }, 'hooks-hint-owner': { type: 'string' },
        'hooks-hint-token': { type: 'string' }, 'hooks-status-interval': { type: 'string' }, 'hooks-timeout': { type: 'string' },
        'ssl-mode': { type: 'string' }, 'ssl-ca': { type: 'string' }, 'ssl-cert': { type: 'string' }, 'ssl-key': { type: 'string' },
        'control-socket': { type: 'string' }, 'no-control-socket': { type: 'boolean' }, 'control-port': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new InvalidOptionError(`${(err as Error).message.split('\n')[0]}: see migrate --help`);
  }
  const [command, ...extra] = positionals;
  if (command !== undefined && command !== 'cleanup') {
    throw new InvalidOptionError(`unknown command "${command.slice(0, 40)}": the commands are cleanup and ctl (a migration takes --statement): see migrate --help`);
  }
  if (extra.length > 0) throw new InvalidOptionError('migrate cleanup takes no other arguments: name the table with --table T');
  if (command !== 'cleanup' && (values.table !== undefined || values.yes)) {
    throw new InvalidOptionError('--table and --yes belong to migrate cleanup: a migration names its table in --statement');
  }
  const connection: Record<string, unknown> = {};
  if (values.host !== undefined) connection.host = values.host;
  if (values.port !== undefined) connection.port = intFlag('port', values.port);
  if (values.user !== undefined) connection.user = values.user;
  if (values.password !== undefined) connection.password = values.password;
  if (values.database !== undefined) connection.database = values.database;
  if (values.socket !== undefined) connection.socketPath = values.socket;
  const ssl: Record<string, unknown> = {};
  if (values['ssl-mode'] !== undefined) ssl.mode = values['ssl-mode'].toUpperCase();
  if (values['ssl-ca'] !== undefined) ssl.ca = values['ssl-ca'];
  if (values['ssl-cert'] !== undefined) ssl.cert = values['ssl-cert'];
  if (values['ssl-key'] !== undefined) ssl.key = values['ssl-key'];
  if (Object.keys(ssl).length > 0) connection.ssl = ssl;
  const overrides: Record<string, unknown> = {};
  if (Object.keys(connection).length > 0) overrides.connection = connection;
  const set = (key: string, value: unknown) => { if (value !== undefined) overrides[key] = value; };
  set('statement', values.statement);
  set('threads', intFlag('threads', values.threads));
  set('targetChunkMs', intFlag('target-chunk-time', values['target-chunk-time']));
  set('lockWaitTimeout', intFlag('lock-wait-timeout', values['lock-wait-timeout']));
  set('cutoverAttempts', intFlag('cutover-attempts', values['cutover-attempts']));
  set('reconnectTimeout', intFlag('reconnect-timeout', values['reconnect-timeout']));
  set('sqlMode', values['sql-mode']);
  set('timeZone', values['time-zone']);
  set('lockConflictTimeout', intFlag('lock-conflict-timeout', values['lock-conflict-timeout']));
  set('copyYields', values['copy-yields']);
  set('dryRun', values['dry-run']);
  set('discardForeignKeys', values['discard-foreign-keys']);
  set('alterForeignKeysMethod', values['alter-foreign-keys-method']);
  set('rebuildChildMaxRows', intFlag('rebuild-child-max-rows', values['rebuild-child-max-rows']));
  if (values['control-socket'] !== undefined && values['no-control-socket']) throw new InvalidOptionError('--control-socket and --no-control-socket contradict each other: pass one');
  set('controlSocket', values['no-control-socket'] ? false : values['control-socket']);
  set('controlPort', intFlag('control-port', values['control-port']));
  if (values['no-kill-blockers']) overrides.killBlockers = false;
  const killAfter = values['kill-blockers-after'];
  if (killAfter !== undefined && !/^\d+(\.\d+)?$/.test(killAfter)) throw new InvalidOptionError(`--kill-blockers-after must be a number of seconds, got "${killAfter}"`);
  set('killBlockersAfter', killAfter === undefined ? undefined : Number(killAfter));
  set('lockStallTimeout', intFlag('lock-stall-timeout', values['lock-stall-timeout']));
  set('deferCutover', values['defer-cutover']);
  set('keepOldTable', values['keep-old-table']);
  if (values['no-native']) overrides.tryNative = false;
  if (values['defer-indexes'] && values['no-defer-indexes']) throw new InvalidOptionError('--defer-indexes and --no-defer-indexes contradict each other: give one');
  if (values['defer-indexes']) overrides.deferIndexes = true;
  if (values['no-defer-indexes']) overrides.deferIndexes = false;
  if (values['no-checksum']) overrides.checksum = false;
  set('strict', values.strict);
  const checkpoint: Record<string, unknown> = {};
  if (values['checkpoint-interval'] !== undefined) checkpoint.interval = values['checkpoint-interval'];
  if (values['checkpoint-max-age'] !== undefined) checkpoint.maxAge = values['checkpoint-max-age'];
  if (Object.keys(checkpoint).length > 0) overrides.checkpoint = checkpoint;
  const throttle: Record<string, unknown> = {};
  if (values['max-load'] !== undefined) throttle.maxLoad = intFlag('max-load', values['max-load']);
  if (values['critical-load'] !== undefined) throttle.criticalLoad = intFlag('critical-load', values['critical-load']);
  if (values.replica !== undefined) throttle.replicas = values.replica;
  if (values['max-replica-lag'] !== undefined) throttle.maxReplicaLag = values['max-replica-lag'];
  if (values['pause-file'] !== undefined) throttle.pauseFile = values['pause-file'];
  if (values['throttle-query'] !== undefined) throttle.throttleQuery = values['throttle-query'];
  if (values['throttle-fail-after'] !== undefined) throttle.failAfter = values['throttle-fail-after'];
  if (Object.keys(throttle).length > 0) overrides.throttle = throttle;
  const metrics: Record<string, unknown> = {};
  if (values['metrics-port'] !== undefined) metrics.port = intFlag('metrics-port', values['metrics-port']);
  if (values['metrics-host'] !== undefined) metrics.host = values['metrics-host'];
  if (Object.keys(metrics).length > 0) overrides.metrics = metrics;
  const hooks: Record<string, unknown> = {};
  if (values['hooks-path'] !== undefined) hooks.path = values['hooks-path'];
  if (values['hooks-hint'] !== undefined) hooks.hint = values['hooks-hint'];
  if (values['hooks-hint-owner'] !== undefined) hooks.hintOwner = values['hooks-hint-owner'];
  if (values['hooks-hint-token'] !== undefined) hooks.hintToken = values['hooks-hint-token'];
  if (values['hooks-status-interval'] !== undefined) hooks.statusInterval = values['hooks-status-interval'];
  if (values['hooks-timeout'] !== undefined) hooks.timeout = values['hooks-timeout'];
  if (Object.keys(hooks).length > 0) overrides.hooks = hooks;
  return {
    ...(command ? { command } : {}),
    ...(values.table !== undefined ? { table: values.table } : {}),
    yes: values.yes ?? false,
    config: values.config,
    defaultsFile: values['defaults-file'],
    askPass: values['ask-pass'] ?? false,
    printConfig: values['print-config'] ?? false,
    passwordOnCommandLine: values.password !== undefined,
    sources: flagSources(argv),
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
    overrides: overrides as SluiceConfig,
  };
}

/** Which option path each given flag sets (for --print-config): `--threads` → threads. */
const FLAG_PATHS: Record<string, string> = {
  host: 'connection.host', port: 'connection.port', user: 'connection.user', password: 'connection.password',
  database: 'connection.database', socket: 'connection.socketPath', 'ssl-mode': 'connection.ssl.mode',
  'ssl-ca': 'connection.ssl.ca', 'ssl-cert': 'connection.ssl.cert', 'ssl-key': 'connection.ssl.key',
  statement: 'statement', threads: 'threads', 'target-chunk-time': 'targetChunkMs', 'lock-wait-timeout': 'lockWaitTimeout',
  'cutover-attempts': 'cutoverAttempts', 'reconnect-timeout': 'reconnectTimeout', 'lock-conflict-timeout': 'lockConflictTimeout', 'copy-yields': 'copyYields', 'dry-run': 'dryRun', 'discard-foreign-keys': 'discardForeignKeys', 'alter-foreign-keys-method': 'alterForeignKeysMethod', 'rebuild-child-max-rows': 'rebuildChildMaxRows', 'no-kill-blockers': 'killBlockers', 'kill-blockers-after': 'killBlockersAfter', 'lock-stall-timeout': 'lockStallTimeout', 'sql-mode': 'sqlMode', 'time-zone': 'timeZone', 'defer-cutover': 'deferCutover', 'keep-old-table': 'keepOldTable',
  'no-native': 'tryNative', 'defer-indexes': 'deferIndexes', 'no-defer-indexes': 'deferIndexes', 'no-checksum': 'checksum', strict: 'strict', 'checkpoint-interval': 'checkpoint.interval',
  'checkpoint-max-age': 'checkpoint.maxAge', 'max-load': 'throttle.maxLoad', 'critical-load': 'throttle.criticalLoad',
  replica: 'throttle.replicas', 'max-replica-lag': 'throttle.maxReplicaLag', 'pause-file': 'throttle.pauseFile',
  'throttle-query': 'throttle.throttleQuery', 'throttle-fail-after': 'throttle.failAfter', 'hooks-path': 'hooks.path', 'hooks-hint': 'hooks.hint',
  'hooks-hint-owner': 'hooks.hintOwner', 'hooks-hint-token': 'hooks.hintToken', 'hooks-status-interval': 'hooks.statusInterval',
  'hooks-timeout': 'hooks.timeout', 'metrics-port': 'metrics.port', 'metrics-host': 'metrics.host',
  'control-socket': 'controlSocket', 'no-control-socket': 'controlSocket', 'control-port': 'controlPort',
};

function flagSources(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=|$)/.exec(arg);
    const path = m ? FLAG_PATHS[m[1]!] : undefined;
    if (path) out.set(path, `flag --${m![1]}`);
  }
  return out;
}
