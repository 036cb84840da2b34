/**
 * Server load: `SHOW GLOBAL STATUS LIKE 'Threads_running'` on the source (the migration's pool).
 * Above maxLoad the copy pauses; above criticalLoad the migration stops with CriticalLoadError.
 * 0 or undefined turns a limit off. The count includes Sluice's own busy sessions (the copy
 * workers and this check): set maxLoad above threads + 2.
 */
import { queryRows, Tokens, type PluginContext, type Queryable } from '../../plugin-api.ts';
import { CriticalLoadError } from './errors.ts';
import { NOT_THROTTLED, type ThrottleState, type Throttler } from './types.ts';

/** The limits are read at every check: an object with getters (the plugin's ThrottleLimits) changes them while the copy runs. */
export interface LoadThrottlerOptions {
  readonly maxLoad?: number;
  readonly criticalLoad?: number;
  /** Where to read the status (default: the migration's pool). */
  db?: Queryable;
}

export async function readThreadsRunning(db: Queryable): Promise<number> {
  const [row] = await queryRows<{ Value: unknown }>(db, "SHOW GLOBAL STATUS LIKE 'Threads_running'");
  const n = Number(row?.Value);
  if (!row || !Number.isFinite(n)) throw new Error('the server reports no Threads_running status');
  return n;
}

export function loadThrottler(options: LoadThrottlerOptions): Throttler {
  let db = options.db;
  return {
    name: 'load',
    open(ctx: PluginContext) {
      db ??= ctx.resolve(Tokens.Pool);
    },
    async check(): Promise<ThrottleState> {
      if (!db) throw new Error('the load throttler was not opened');
      const max = options.maxLoad ?? 0;
      const critical = options.criticalLoad ?? 0;
      if (max === 0 && critical === 0) return NOT_THROTTLED; // both off (an operator may set one later)
      const running = await readThreadsRunning(db);
      if (critical > 0 && running > critical) {
        const fatal = new CriticalLoadError(running, critical);
        return { throttled: true, reason: fatal.message, fatal };
      }
      if (max > 0 && running > max) return { throttled: true, reason: `server load: Threads_running=${running} > maxLoad ${max}` };
      return NOT_THROTTLED;
    },
  };
}
