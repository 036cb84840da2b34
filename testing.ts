/**
 * Helpers for testing your own plugins against a real server, in your own test suite:
 *
 *   import { startTestServer, createTestDatabase, runWithPlugins } from 'sluice/testing';
 *   const server = await startTestServer();              // a private MariaDB sandbox (or SLUICE_TEST_DSN)
 *   const connection = await createTestDatabase(server, 'my_plugin_test');
 *   const run = await runWithPlugins({ connection, statement: 'ALTER TABLE t ADD COLUMN c INT', plugins: [myPlugin()] });
 *   assert.equal(run.outcome, 'done');
 *   assert.deepEqual(run.hooks('my-plugin'), ['setup', 'preflight', 'beforeCopy', …]);
 *
 * Works with any test runner (node:test, vitest, jest, Deno.test): nothing here registers hooks
 * with a runner. See docs/plugins.md, "Testing a plugin".
 */
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  createMigration, HOOK_NAMES, isCancellation, type ConnectionOptions, type HookName, type MigrationEvent,
  type Migration, type MigrationResult, type SluiceOptions, type SluicePlugin,
} from './mod.ts';
import { startSandbox, stopSandbox } from './scripts/sandbox.ts';

export interface TestServerOptions {
  /** Port of the sandbox (default: SLUICE_SANDBOX_PORT, else 3307). */
  port?: number;
  /** Where its data directory goes (default: `.sandbox/` in the current directory). */
  dir?: string;
}

/**
 * Starts (or reuses) a private MariaDB on loopback with the binary log as Sluice needs it (ROW,
 * FULL image), installing Debian's mariadb-server when run as root and it is missing; with
 * SLUICE_TEST_DSN=mysql://user:pass@host:port set, uses that server instead and starts nothing.
 * Returns connection options for an account with every privilege.
 */
export async function startTestServer(opts: TestServerOptions = {}): Promise<ConnectionOptions> {
  const s = await startSandbox({ port: opts.port, baseDir: opts.dir ?? join(process.cwd(), '.sandbox') });
  return { host: s.host, port: s.port, user: s.user, password: s.password };
}

/** Stops the sandbox startTestServer started (its data directory is kept for the next start). */
export async function stopTestServer(opts: TestServerOptions = {}): Promise<void> {
  await stopSandbox({ port: opts.port, baseDir: opts.dir ?? join(process.cwd(), '.sandbox') });
}

/** Creates the database `name` (dropping it first if it exists); returns the options to use it. */
export async function createTestDatabase(server: ConnectionOptions, name: string): Promise<ConnectionOptions> {
  const conn = await mysql.createConnection({ ...server, database: undefined });
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
    await conn.query(`CREATE DATABASE ${mysql.escapeId(name)}`);
  } finally {
    await conn.end();
  }
  return { ...server, database: name };
}

/** Drops the database `name` if it exists. */
export async function dropTestDatabase(server: ConnectionOptions, name: string): Promise<void> {
  const conn = await mysql.createConnection({ ...server, database: undefined });
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
  } finally {
    await conn.end();
  }
}

/** One hook call seen by runWithPlugins / recordHooks. */
export interface HookCall {
  readonly plugin: string;
  readonly hook: HookName;
  /** The hook's arguments after the context (a chunk, a snapshot, a result, an error). */
  readonly args: readonly unknown[];
  /** 'returned' or 'threw', once the hook settled; 'running' while it runs. */
  outcome: 'running' | 'returned' | 'threw';
}

/**
 * Wraps a plugin so every call of its hooks is appended to `calls` (the plugin itself is
 * unchanged); `onCall` is told of each call as it starts.
 */
export function recordHooks<P extends SluicePlugin>(plugin: P, calls: HookCall[], onCall?: (call: HookCall) => void): P {
  const wrapped: Record<string, unknown> = { ...(plugin as Record<string, unknown>) };
  for (const hook of HOOK_NAMES) {
    const fn = plugin[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') continue;
    wrapped[hook] = async (ctx: unknown, ...args: unknown[]) => {
      const call: HookCall = { plugin: plugin.name, hook, args, outcome: 'running' };
      calls.push(call);
      onCall?.(call);
      try {
        const value = await fn.call(plugin, ctx, ...args);
        call.outcome = 'returned';
        return value;
      } catch (err) {
        call.outcome = 'threw';
        throw err;
      }
    };
  }
  return wrapped as P;
}

export interface RecordedRun {
  /** How run() settled: a result, a MigrationCancelledError, or any other error. */
  readonly outcome: 'done' | 'failed' | 'cancelled';
  readonly result?: MigrationResult;
  /** The error run() rejected with (a MigrationCancelledError when cancelled). */
  readonly error?: unknown;
  /** An error disposing threw (a DisposeError), if any. */
  readonly disposeError?: unknown;
  /** Every hook call of the given plugins, in order, disposal included. */
  readonly calls: readonly HookCall[];
  /** Every event the migration emitted (already redacted). */
  readonly events: readonly MigrationEvent[];
  /** The hook names called on one plugin (or on all), in order. */
  hooks(plugin?: string): HookName[];
}

export interface RunWithPluginsOptions extends SluiceOptions {
  /** Called as each recorded hook call starts: return true to cancel the migration there (as `cancel()` would). */
  cancelWhen?: (call: HookCall) => boolean;
  /** Called as each recorded hook call starts: return true to dispose the migration there, mid-run (a shutdown that disposes without cancelling first). */
  disposeWhen?: (call: HookCall) => boolean;
}

/**
 * Runs one migration with your plugins (after the default ones, as the CLI does), records every
 * call of their hooks and every event, disposes it, and reports how it ended. Never throws for the
 * migration's own failure or cancellation: look at `outcome` and `error`.
 */
export async function runWithPlugins(options: RunWithPluginsOptions): Promise<RecordedRun> {
  const { cancelWhen, disposeWhen, ...rest } = options;
  const calls: HookCall[] = [];
  const events: MigrationEvent[] = [];
  let migration: Migration | undefined;
  const onCall = (call: HookCall) => {
    if (cancelWhen?.(call)) migration?.cancel('cancelWhen matched a hook call');
    // dispose is idempotent: the await below gets this same disposal and its outcome
    if (disposeWhen?.(call)) migration?.[Symbol.asyncDispose]().catch(() => undefined);
  };
  const plugins = (rest.plugins ?? []).map((p) => recordHooks(p, calls, onCall));
  migration = await createMigration({ ...rest, plugins });
  migration.on((e) => events.push(e));
  let result: MigrationResult | undefined;
  let error: unknown;
  let disposeError: unknown;
  try {
    result = await migration.run();
  } catch (err) {
    error = err;
  }
  try {
    await migration[Symbol.asyncDispose]();
  } catch (err) {
    disposeError = err;
  }
  const outcome = result ? 'done' : isCancellation(error) ? 'cancelled' : 'failed';
  return {
    outcome, result, error, disposeError, calls, events,
    hooks: (plugin) => calls.filter((c) => plugin === undefined || c.plugin === plugin).map((c) => c.hook),
  };
}
