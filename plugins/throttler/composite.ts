/**
 * Several throttlers as one: checks run together, any one saying pause wins (reasons joined), a
 * fatal state wins over everything, and a check that throws pauses (fail closed) with its error as
 * the reason. Opened in order, disposed in reverse (also the one whose open threw).
 */
import { NOT_THROTTLED, type ThrottleState, type Throttler } from './types.ts';
import type { PluginContext } from '../../plugin-api.ts';

export class CompositeThrottler implements Throttler {
  readonly name = 'composite';
  readonly #throttlers: readonly Throttler[];
  readonly #opened: Throttler[] = [];

  constructor(throttlers: readonly Throttler[]) {
    this.#throttlers = [...throttlers];
  }

  get size(): number {
    return this.#throttlers.length;
  }

  async open(ctx: PluginContext): Promise<void> {
    for (const t of this.#throttlers) {
      this.#opened.push(t); // disposed even if its open throws half-way
      await t.open?.(ctx);
    }
  }

  async check(): Promise<ThrottleState> {
    const results = await Promise.allSettled(this.#throttlers.map((t) => t.check()));
    const reasons: string[] = [];
    const failing: string[] = [];
    let fatal: Error | undefined;
    results.forEach((r, i) => {
      const name = this.#throttlers[i]!.name ?? `throttler #${i + 1}`;
      if (r.status === 'rejected') {
        reasons.push(`${name} check failed (${describe(r.reason)}): paused until it succeeds`);
        failing.push(`${name} check failed (${describe(r.reason)})`);
        return;
      }
      if (r.value.failing) failing.push(r.value.failing);
      if (r.value.fatal) fatal ??= r.value.fatal;
      else if (r.value.throttled) reasons.push(r.value.reason ?? `${name} says pause`);
    });
    const failed = failing.length > 0 ? { failing: failing.join('; ') } : {};
    if (fatal) return { throttled: true, reason: fatal.message, fatal, ...failed };
    if (reasons.length > 0) return { throttled: true, reason: reasons.join('; '), ...failed };
    return failing.length > 0 ? { throttled: false, ...failed } : NOT_THROTTLED;
  }

  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    while (this.#opened.length > 0) {
      const t = this.#opened.pop()!;
      try {
        await t.dispose?.();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} throttlers failed to close: ${errors.map(describe).join('; ')}`);
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
