/**
 * Waiting for a lost server: poll it until it answers again, a bounded time, saying so in the
 * log; and the budget of reconnections one run may spend (see README.md).
 */
import type { Logger } from '../lifecycle/context.ts';
import { sleep } from '../lifecycle/abort.ts';
import type { Queryable } from './connection.ts';
import { ServerUnreachableError } from './errors.ts';

/** Seconds a lost server is waited for before the run fails with its checkpoint (default). */
export const DEFAULT_RECONNECT_SECONDS = 300;
/** Reconnections one run may make (the binlog stream and the loops each count their own). */
export const MAX_RECONNECTS = 20;

const POLL_MS = 1_000;
const TELL_EVERY_MS = 5_000;

export interface WaitForServerOptions {
  /** `user@host:port`, for messages. */
  where: string;
  timeoutSeconds: number;
  log: Pick<Logger, 'info' | 'warn'>;
  /** What was lost, for the first line ("the copy", "the binlog stream"). */
  what: string;
  cause?: unknown;
}

/**
 * Resolves once `SELECT 1` succeeds on `db`; rejects with ServerUnreachableError after
 * `timeoutSeconds`, or with MigrationCancelledError when `signal` aborts.
 */
export async function waitForServer(db: Queryable, signal: AbortSignal, opts: WaitForServerOptions): Promise<void> {
  const started = Date.now();
  const why = opts.cause instanceof Error ? ` (${opts.cause.message.split('\n')[0]})` : '';
  opts.log.warn(`${opts.what} lost its connection to ${opts.where}${why}: waiting up to ${opts.timeoutSeconds} s for the server`);
  let told = started;
  let last: unknown = opts.cause;
  for (;;) {
    try {
      await db.query('SELECT 1');
      opts.log.info(`the server ${opts.where} answers again after ${Math.round((Date.now() - started) / 1000)} s: ${opts.what} continues`);
      return;
    } catch (err) {
      last = err;
    }
    const waited = Date.now() - started;
    if (waited >= opts.timeoutSeconds * 1000) throw new ServerUnreachableError(opts.where, opts.timeoutSeconds, { cause: last });
    if (Date.now() - told >= TELL_EVERY_MS) {
      told = Date.now();
      opts.log.info(`still waiting for the server ${opts.where} (${Math.round(waited / 1000)} s of ${opts.timeoutSeconds} s)`);
    }
    await sleep(POLL_MS, signal);
  }
}
