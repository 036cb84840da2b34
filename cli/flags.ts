/** Command-line flags of `migrate` and how they map onto options (flags override the config file). */
import { parseArgs } from 'node:util';
import { InvalidOptionError } from '../mod.ts';
import type { SluiceConfig } from '../mod.ts';

export const USAGE = `Usage: migrate --statement "ALTER TABLE t …" [options]

Connection:
  --host H  --port P  --user U  --password PW (or env MYSQL_PWD)  --database D  --socket PATH
Migration:
  --statement SQL          the ALTER TABLE to run online (required)
  --threads N              parallel copy workers (default 2)
  --target-chunk-time MS   target time per copy chunk (default 500)
  --lock-wait-timeout S    metadata lock wait for cutover / native ALTER (default 30)
  --defer-cutover          wait for \`DROP TABLE _sluice_sentinel\` before cutting over
  --keep-old-table         keep the original table as _<table>_old
  --no-native              never try ALGORITHM=INSTANT/NOCOPY/INPLACE; always copy
  --cutover-attempts N     cutover retries (default 5)
  --no-kill-blockers       never KILL sessions that keep holding the table's metadata lock
  --kill-blockers-after S  wait this long for such a session before killing it (default: half of --lock-wait-timeout)
  --lock-stall-timeout S   longest a pending table lock may hold up the application's queries before it is retried (default 2)
  --no-checksum            skip the checksum before cutover (not recommended)
Resume:
  --strict                 refuse (typed error) instead of starting fresh when a checkpoint cannot be used
  --checkpoint-interval D  least time between checkpoint writes (default 50s)
  --checkpoint-max-age D   oldest checkpoint to resume from (default 168h)
Throttling (the copier pauses; replay never does):
  --max-load N             pause while Threads_running > N
  --critical-load N        abort (keeping the checkpoint) when Threads_running > N
  --replica DSN            mysql://user:pass@host:port of a replica to watch (repeatable)
  --max-replica-lag DUR    pause while a replica lags more (default 10s)
  --pause-file PATH        pause while this file exists
  --throttle-query SQL     pause while this query returns non-zero
Output:
  --config PATH            config file (default: search for migrate.config.* / .migraterc*)
  --json                   machine-readable events, one JSON object per line on stdout
  --quiet                  only the final line
  --help, --version`;

export interface CliFlags {
  config?: string;
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

export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' },
        database: { type: 'string' }, socket: { type: 'string' }, statement: { type: 'string' },
        threads: { type: 'string' }, 'target-chunk-time': { type: 'string' }, 'lock-wait-timeout': { type: 'string' },
        'defer-cutover': { type: 'boolean' }, 'keep-old-table': { type: 'boolean' }, 'no-native': { type: 'boolean' },
        'cutover-attempts': { type: 'string' }, 'no-checksum': { type: 'boolean' }, strict: { type: 'boolean' },
        'no-kill-blockers': { type: 'boolean' }, 'kill-blockers-after': { type: 'string' }, 'lock-stall-timeout': { type: 'string' },
        'checkpoint-interval': { type: 'string' }, 'checkpoint-max-age': { type: 'string' },
        'max-load': { type: 'string' }, 'critical-load': { type: 'string' }, replica: { type: 'string', multiple: true },
        'max-replica-lag': { type: 'string' }, 'pause-file': { type: 'string' }, 'throttle-query': { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' },
        quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new InvalidOptionError(`${(err as Error).message.split('\n')[0]}: see migrate --help`);
  }
  const connection: Record<string, unknown> = {};
  if (values.host !== undefined) connection.host = values.host;
  if (values.port !== undefined) connection.port = intFlag('port', values.port);
  if (values.user !== undefined) connection.user = values.user;
  const password = values.password ?? env.MYSQL_PWD;
  if (password !== undefined) connection.password = password;
  if (values.database !== undefined) connection.database = values.database;
  if (values.socket !== undefined) connection.socketPath = values.socket;
  const overrides: Record<string, unknown> = {};
  if (Object.keys(connection).length > 0) overrides.connection = connection;
  const set = (key: string, value: unknown) => { if (value !== undefined) overrides[key] = value; };
  set('statement', values.statement);
  set('threads', intFlag('threads', values.threads));
  set('targetChunkMs', intFlag('target-chunk-time', values['target-chunk-time']));
  set('lockWaitTimeout', intFlag('lock-wait-timeout', values['lock-wait-timeout']));
  set('cutoverAttempts', intFlag('cutover-attempts', values['cutover-attempts']));
  if (values['no-kill-blockers']) overrides.killBlockers = false;
  const killAfter = values['kill-blockers-after'];
  if (killAfter !== undefined && !/^\d+(\.\d+)?$/.test(killAfter)) throw new InvalidOptionError(`--kill-blockers-after must be a number of seconds, got "${killAfter}"`);
  set('killBlockersAfter', killAfter === undefined ? undefined : Number(killAfter));
  set('lockStallTimeout', intFlag('lock-stall-timeout', values['lock-stall-timeout']));
  set('deferCutover', values['defer-cutover']);
  set('keepOldTable', values['keep-old-table']);
  if (values['no-native']) overrides.tryNative = false;
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
  if (Object.keys(throttle).length > 0) overrides.throttle = throttle;
  return {
    config: values.config,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
    overrides: overrides as SluiceConfig,
  };
}
