/** What a throttler is: a check the copier consults before each chunk (replay never waits on it). */
import type { PluginContext } from '../../plugin-api.ts';

export interface ThrottleState {
  /** True: the copier must wait before its next chunk. */
  readonly throttled: boolean;
  /** Why (shown in progress as "throttled: <reason>" and logged). */
  readonly reason?: string;
  /** Set when the migration must stop now (critical load): thrown from beforeChunk as a genuine error. */
  readonly fatal?: Error;
  /**
   * Set when something could not be checked (a query failed, a replica is unreachable): why. The
   * gate warns once, and stops the migration when checks keep failing for `failAfter`; at start,
   * the plugin refuses to run.
   */
  readonly failing?: string;
}

export interface Throttler {
  /** Short name used in reasons and logs, e.g. 'replica-lag'. */
  readonly name?: string;
  /** Called once before the copy starts (the pool exists then: ctx.resolve(Tokens.Pool)). */
  open?(ctx: PluginContext): void | Promise<void>;
  /**
   * Says whether to pause now. A rejected check pauses too (fail closed) until a check succeeds.
   * The first check runs before anything is created: if it rejects (or reports `failing`), the
   * migration is refused with ThrottlerUnavailableError.
   */
  check(): Promise<ThrottleState>;
  /** Releases what open/check acquired; called once, after the run has settled, even if open failed. */
  dispose?(): void | Promise<void>;
}

export const NOT_THROTTLED: ThrottleState = Object.freeze({ throttled: false });
