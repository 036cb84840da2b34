/**
 * The Migration: runs its phases once and is an AsyncDisposable whose disposal can never tear
 * anything down under a running migration.
 *
 * dispose = abort the run -> wait until the run promise has settled (its onCancel hooks included)
 *         -> dispose the stack in reverse order of acquisition -> report every error.
 */
import { MigrationContainer } from '../container/container.ts';
import { MigrationControl } from '../control/control.ts';
import { ControlTable } from '../control/registry.ts';
import { DisposeError, MigrationCancelledError, MigrationStateError, SluiceError } from '../errors.ts';
import { asCancellation, throwIfAborted } from './abort.ts';
import { MigrationContext, type PhaseContext } from './context.ts';
import { DisposalStack } from './disposal-stack.ts';
import { HookRunner, type SluicePlugin } from './hooks.ts';
import type { MigrationEvent, MigrationResult, PhaseTime } from '../types.ts';

/** One step of a run. Phases share state through the container. */
export interface Phase {
  readonly name: string;
  /** Returns a result to end the run early with it (e.g. a native ALTER needed no copy). */
  run(ctx: PhaseContext): Promise<MigrationResult | void>;
}

export interface MigrationSpec {
  phases: readonly Phase[];
  plugins?: readonly SluicePlugin[];
  container?: MigrationContainer;
  /** Strings never to be printed or emitted (passwords). */
  secrets?: readonly string[];
  /** What an operator may steer while it runs (default: nothing but status). */
  control?: MigrationControl;
}

type Listener = (event: MigrationEvent) => void;

export class Migration implements AsyncDisposable {
  readonly #abort = new AbortController();
  readonly #stack = new DisposalStack();
  readonly #listeners = new Set<Listener>();
  readonly #context: MigrationContext;
  readonly #phases: readonly Phase[];
  #run: Promise<MigrationResult> | undefined;
  #settled: Promise<unknown> = Promise.resolve();
  #disposal: Promise<void> | undefined;
  /**
   * Steer the run while it goes: `pause()`, `resume()`, `setThreads(n)`, `setChunkTime('250ms')`,
   * `setMaxLoad(n)`, `setMaxReplicaLag('5s')`, `cutover()`, `abort()`, `get(name)`, `status()`
   * (core/control/README.md). The control endpoint (`controlSocket`, `controlPort`) serves the same.
   */
  readonly control: MigrationControl;

  constructor(spec: MigrationSpec) {
    const hooks = new HookRunner(spec.plugins ?? []);
    this.#phases = spec.phases;
    this.control = spec.control ?? new MigrationControl(new ControlTable(), () => ({
      table: null, phase: 'unknown', elapsedMs: 0, rowsCopied: 0, rowsEstimate: 0, chunkSize: null, copyWorkers: null, throttled: null,
      replay: { applied: null, pending: 0, events: 0 }, cutover: 'not deferred',
    }));
    this.#context = new MigrationContext(
      this.#abort.signal, hooks, spec.container ?? new MigrationContainer(), this.#stack,
      (event) => this.#dispatch(event), spec.secrets ?? [],
    );
  }

  /** Aborted on cancel() and dispose. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Subscribes to events; returns an unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs the migration. Call once. Rejects with MigrationCancelledError when cancelled. */
  run(): Promise<MigrationResult> {
    if (this.#disposal) return Promise.reject(new MigrationStateError('this migration is disposed: create a new one to run again'));
    if (this.#run) return Promise.reject(new MigrationStateError('run() was already called: create a new migration to run again'));
    this.#run = this.#execute();
    this.#settled = this.#run.then(() => undefined, () => undefined);
    return this.#run;
  }

  /** Aborts the run (if any). It settles with MigrationCancelledError; state is kept for a resume. */
  cancel(reason: unknown = 'cancel() was called'): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(new MigrationCancelledError(reason));
  }

  /** Idempotent and safe at any moment: concurrent calls share one disposal. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposal ??= this.#dispose();
    return this.#disposal;
  }

  async #dispose(): Promise<void> {
    this.cancel('the migration is being disposed');
    await this.#settled;
    const errors = await this.#stack.disposeAll();
    if (errors.length > 0) {
      const runError = await this.#run?.then(() => undefined, (e: unknown) => e);
      throw new DisposeError(errors, runError);
    }
  }

  async #execute(): Promise<MigrationResult> {
    const ctx = this.#context;
    try {
      throwIfAborted(ctx.signal);
      for (const plugin of ctx.hooks.plugins) {
        if (plugin.dispose) await ctx.defer(`plugin ${plugin.name}`, () => plugin.dispose!(ctx));
        await plugin.setup?.(ctx);
        throwIfAborted(ctx.signal);
      }
      let result: MigrationResult | undefined;
      const times: PhaseTime[] = [];
      for (const phase of this.#phases) {
        throwIfAborted(ctx.signal);
        const started = Date.now();
        ctx.emit({ type: 'phase', phase: phase.name, state: 'start', at: started });
        result = (await phase.run(ctx)) ?? undefined;
        const ended = Date.now();
        times.push({ phase: phase.name, ms: ended - started });
        ctx.emit({ type: 'phase', phase: phase.name, state: 'end', at: ended });
        if (result) break;
      }
      if (!result) throw new MigrationStateError('the phases ended without a result');
      result = { ...result, phases: times };
      // Done is done: an abort arriving after the last phase (say, after the cutover's RENAME)
      // must not report a completed migration as cancelled, and a failing onSuccess hook is a
      // warning on the result, never a failure.
      const failed = await ctx.hooks.callAll(ctx, 'onSuccess', result);
      if (failed.length > 0) {
        const warnings = failed.map(({ plugin, error }) => `plugin ${plugin}: onSuccess failed after the migration completed: ${describe(error)}`);
        for (const w of warnings) ctx.log.warn(w);
        result = { ...result, warnings: [...result.warnings, ...warnings] };
      }
      ctx.emit({ type: 'done', result });
      return result;
    } catch (err) {
      // Anything that fails once the run is aborted is a cancellation, never a fatal error.
      if (ctx.signal.aborted || err instanceof MigrationCancelledError) {
        const cancelled = err instanceof MigrationCancelledError ? err : asCancellation(ctx.signal.reason);
        if (cancelled !== err && cancelled.cause === undefined) Object.defineProperty(cancelled, 'cause', { value: err });
        for (const { plugin, error } of await ctx.hooks.callAll(ctx, 'onCancel', cancelled)) ctx.log.warn(`plugin ${plugin}: an onCancel hook failed: ${describe(error)}`);
        ctx.emit({ type: 'cancelled', reason: cancelled.message });
        throw cancelled;
      }
      for (const { plugin, error } of await ctx.hooks.callAll(ctx, 'onError', err)) ctx.log.warn(`plugin ${plugin}: an onError hook failed: ${describe(error)}`);
      ctx.emit({ type: 'failed', ...errorFields(err) });
      throw err;
    }
  }

  #dispatch(event: MigrationEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not change the migration's outcome
      }
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A failure as an event says it: message, class name, and the stable code (Sluice's, or the driver's: ECONNREFUSED, ER_…). */
export function errorFields(err: unknown): { error: string; name: string; code?: string } {
  const name = err instanceof Error ? err.constructor.name || err.name : typeof err;
  const code = err instanceof SluiceError ? err.code : (err as { code?: unknown } | null)?.code;
  return { error: describe(err), name, ...(typeof code === 'string' ? { code } : {}) };
}
