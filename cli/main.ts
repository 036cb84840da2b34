/**
 * The `migrate` command: config file + flags -> one migration, shown live, cancelled cleanly on
 * SIGINT/SIGTERM (the run is aborted, awaited and disposed: the checkpoint is kept).
 * Exit codes: 0 done, 1 failed, 2 bad input (nothing changed), 130/143 interrupted.
 */
import { readFileSync } from 'node:fs';
import {
  AlterRejectedError, configDefaults, ConnectFailedError, ControlEndpointError, ControlSocketInUseError, createMigration, HooksOptionError, MetricsOptionError, MetricsServerError, ForeignKeyError, InvalidOptionError, InvalidStatementError, MigrationCancelledError,
  MigrationRunningError, MissingPrivilegeError, NoPrimaryKeyError, NoUsableKeyError, NotABaseTableError, PluginError, PrimaryKeyChangeError, ServerSettingError,
  ShadowPrimaryKeyError, SluiceError, TableNotFoundError, ThrottlerUnavailableError, TriggersError, UnsupportedAlterError, redactText,
  type Migration, type MigrationOptions,
} from '../mod.ts';

import { runCleanup } from './cleanup.ts';
import { formatPlan } from './dry-run.ts';
import { errorEvent, wantsJson } from './error-event.ts';
import { runCtl } from './ctl.ts';
import { loadPlugins } from './config.ts';
import { parseFlags, USAGE } from './flags.ts';
import { formatSettings, resolveSettings } from './settings.ts';
import { createReporter } from './progress.ts';

export { EXIT } from './exit.ts';
import { EXIT } from './exit.ts';

/** A second SIGINT/SIGTERM sooner than this after the first is absorbed; a later one exits at once. */
const SIGNAL_GRACE_MS = 2000;

/** The package version, from source (cli/) or from the build (dist/cli/). */
function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'sluice') return pkg.version;
    } catch {
      // not there: try one level up
    }
  }
  return 'unknown';
}

/** Refusals raised before anything was changed on the server: bad input, exit 2. */
const REFUSALS = [
  InvalidOptionError, InvalidStatementError, PluginError, UnsupportedAlterError, NoPrimaryKeyError, NoUsableKeyError, ForeignKeyError,
  TriggersError, PrimaryKeyChangeError, ServerSettingError, MissingPrivilegeError, TableNotFoundError, NotABaseTableError,
  AlterRejectedError, ShadowPrimaryKeyError, ConnectFailedError, MigrationRunningError, HooksOptionError, MetricsOptionError,
  MetricsServerError, ThrottlerUnavailableError, ControlSocketInUseError, ControlEndpointError,
];

function isUsageError(err: unknown): boolean {
  return REFUSALS.some((type) => err instanceof type);
}

export async function main(argv: readonly string[]): Promise<number> {
  let secrets: string[] = [];
  const stderrLine = (line: string) => process.stderr.write(`migrate: error: ${redactText(line, secrets)}\n`);
  if (argv[0] === 'ctl') {
    try {
      return await runCtl(argv.slice(1), process.stdout, process.stderr);
    } catch (err) {
      process.stderr.write(`migrate ctl: error: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
  }
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    stderrLine((err as Error).message);
    if (wantsJson(argv)) process.stdout.write(`${JSON.stringify(errorEvent(err, secrets))}\n`);
    return EXIT.usage;
  }
  if (flags.help) { process.stdout.write(`${USAGE}\n`); return EXIT.ok; }
  if (flags.version) { process.stdout.write(`${version()}\n`); return EXIT.ok; }
  if (flags.passwordOnCommandLine) {
    process.stderr.write('migrate: warning: --password on the command line is visible to every local user (ps): use MYSQL_PWD, --ask-pass or --defaults-file\n');
  }

  let signalled: NodeJS.Signals | undefined;
  let signalledAt = 0;
  let current: Migration | undefined;
  let disposed = false;
  /** The migration emitted how it ended (failed, cancelled): no second JSON event for its error. */
  let endEmitted = false;
  let progressIntervalMs: number | undefined;
  const reporter = createReporter({
    json: flags.json, quiet: flags.quiet, stdout: process.stdout, stderr: process.stderr,
    // plain status lines every 5 progress reports (5 s by default)
    plainIntervalMs: () => 5 * (progressIntervalMs ?? 1000),
  });
  const interruptedCode = () => (signalled === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);
  /** The final error line: on the spinner or stderr, and on stderr with --json (stdout holds only events). */
  const failLine = (line: string) => {
    reporter.fail(redactText(line, secrets));
    if (flags.json) stderrLine(line);
  };
  // Installed for the whole run. The first signal cancels: the run stops, the migration is disposed
  // (lock released, checkpoint kept), then the process exits. A second signal within the grace
  // period is absorbed (an impatient double press never cuts disposal short); one after it exits at
  // once, without waiting for the run to settle: nothing is dropped, so the checkpoint stays. Once
  // everything is disposed, a signal just exits.
  const onSignal = (sig: NodeJS.Signals) => {
    if (disposed) process.exit(process.exitCode ?? (sig === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint));
    if (signalled === undefined) {
      signalled = sig;
      signalledAt = performance.now();
      reporter.note(`received ${sig}: cancelling, keeping the checkpoint (interrupt again after ${SIGNAL_GRACE_MS / 1000} s to exit at once)`);
      current?.cancel(`received ${sig}`);
      return;
    }
    if (performance.now() - signalledAt < SIGNAL_GRACE_MS) return;
    failLine(`received ${sig} again: exiting without waiting for the run to stop; nothing was dropped, the checkpoint is kept: run the same command again to resume`);
    process.exit(interruptedCode());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const settings = await resolveSettings(flags);
    const merged = settings.config;
    progressIntervalMs = merged.progressIntervalMs;
    // the connection's password, and every replica DSN whole (malformed ones are never echoed; this is a second guard)
    secrets = [merged.connection?.password, ...(merged.throttle?.replicas ?? [])].filter((s): s is string => typeof s === 'string' && s !== '');
    if (flags.printConfig) {
      process.stdout.write(`${formatSettings(settings, flags.json)}\n`);
      return EXIT.ok;
    }
    if (flags.command === 'cleanup') return await runCleanup(flags, settings.config, process.stdout);
    const plugins = await loadPlugins(merged.plugins, settings.filepath);
    // the CLI opens a control socket unless told not to (migrate ctl; the API's default is none)
    const options = { controlSocket: configDefaults().controlSocket, ...merged, plugins } as MigrationOptions;
    await using migration = await createMigration(options);
    migration.on((event) => {
      if (event.type === 'failed' || event.type === 'cancelled') endEmitted = true;
      reporter.onEvent(event);
    });
    current = migration;
    if (signalled) migration.cancel(`received ${signalled}`);
    const result = await migration.run();
    if (result.plan && !flags.json) process.stdout.write(`${redactText(formatPlan(result.plan), secrets)}\n`);
    // Done, even when a step after the swap failed: exit 0, the warnings said in the summary.
    reporter.succeed(redactText(reporter.summary(result), secrets));
    return EXIT.ok;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (flags.json && !endEmitted) process.stdout.write(`${JSON.stringify(errorEvent(err, secrets))}\n`);
    if (err instanceof MigrationCancelledError) {
      failLine(message);
      return interruptedCode();
    }
    const line = err instanceof SluiceError ? message : `${message} (${(err as { code?: string }).code ?? 'unexpected error'})`;
    failLine(line);
    return isUsageError(err) ? EXIT.usage : EXIT.failed;
  } finally {
    disposed = true;
  }
}

process.exitCode = await main(process.argv.slice(2));
