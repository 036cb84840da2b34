/**
 * Plugins and their hooks. A plugin is a named object of optional hooks; hooks run one plugin at
 * a time in registration order (deterministic), each awaited before the next. The exceptions:
 *  - `resume` is a "first" hook: the first plugin returning a value wins, the rest are skipped;
 *  - `afterCutover` / `onSuccess` / `onError` / `onCancel` run every plugin even if one throws (their
 *    errors become warnings: after the swap the migration has succeeded whatever a hook does).
 * A plugin's `dispose` is pushed on the migration's disposal stack just before its `setup`, so
 * plugins close in reverse order of setup (like avvio) and after everything acquired later.
 */
import { PluginError } from '../errors.ts';
import type { PluginContext } from './context.ts';
import type {
  ChunkDone, ChunkInfo, CopyPlan, CutoverResult, MigrationResult, ProgressSnapshot, ResumePoint,
} from '../types.ts';

type Awaitable<T> = T | Promise<T>;

export interface PluginHooks {
  /** Acquire resources (register disposers with ctx.defer), register services on the container. */
  setup(ctx: PluginContext): Awaitable<void>;
  /** Validate before anything is changed on the server: throw a SluiceError to refuse. */
  preflight(ctx: PluginContext): Awaitable<void>;
  /** Offer a point to resume from (first plugin returning a value wins); undefined = start fresh. */
  resume(ctx: PluginContext): Awaitable<ResumePoint | undefined>;
  /** The shadow table exists and replay runs; copying is about to start. */
  beforeCopy(ctx: PluginContext, plan: CopyPlan): Awaitable<void>;
  /** Before each chunk is copied; may wait (a throttler pauses the copier here, never replay). */
  beforeChunk(ctx: PluginContext, chunk: ChunkInfo): Awaitable<void>;
  /** After each chunk is copied. */
  afterChunk(ctx: PluginContext, chunk: ChunkDone): Awaitable<void>;
  /** Periodically and at phase boundaries: durable progress (the checkpoint plugin saves it). */
  progress(ctx: PluginContext, snapshot: ProgressSnapshot): Awaitable<void>;
  /** Every row is copied; replay continues. */
  afterCopy(ctx: PluginContext): Awaitable<void>;
  /** Verify the shadow table before cutover (the checksum plugin); throw to refuse cutover. */
  verify(ctx: PluginContext): Awaitable<void>;
  /** Last chance to veto or delay cutover (an approval gate waits here). */
  beforeCutover(ctx: PluginContext): Awaitable<void>;
  /**
   * The tables have been swapped and the old table cleaned up (or its cleanup failed: then
   * `result.oldTable` still names it). A throw here is a warning on a successful result.
   */
  afterCutover(ctx: PluginContext, result: CutoverResult): Awaitable<void>;
  /** The migration completed. */
  onSuccess(ctx: PluginContext, result: MigrationResult): Awaitable<void>;
  /** A genuine failure (never called for a cancellation). */
  onError(ctx: PluginContext, error: unknown): Awaitable<void>;
  /** The run was cancelled or disposed (never reported as an error). Keep your state. */
  onCancel(ctx: PluginContext, reason: unknown): Awaitable<void>;
  /** Release what setup acquired. Runs from the disposal stack, after the run has settled. */
  dispose(ctx: PluginContext): Awaitable<void>;
}

export type HookName = keyof PluginHooks;

export interface SluicePlugin extends Partial<PluginHooks> {
  readonly name: string;
  /** What the plugin runs with (its options after defaults, secrets masked): shown by a dry run. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export const HOOK_NAMES: readonly HookName[] = [
  'setup', 'preflight', 'resume', 'beforeCopy', 'beforeChunk', 'afterChunk', 'progress', 'afterCopy',
  'verify', 'beforeCutover', 'afterCutover', 'onSuccess', 'onError', 'onCancel', 'dispose',
];

/** Checks a plugin's shape and returns it, typed. Use it to write your own plugins. */
export function definePlugin<P extends SluicePlugin>(plugin: P): P {
  if (!plugin || typeof plugin !== 'object') throw new PluginError('a plugin must be an object with a name and hooks');
  if (typeof plugin.name !== 'string' || plugin.name.trim() === '') {
    throw new PluginError('a plugin needs a non-empty "name": add name: "my-plugin" to it');
  }
  for (const key of Object.keys(plugin)) {
    if (key === 'name') continue;
    const value = (plugin as Record<string, unknown>)[key];
    if (!HOOK_NAMES.includes(key as HookName)) {
      if (typeof value === 'function') {
        throw new PluginError(`plugin "${plugin.name}" has an unknown hook "${key}": hooks are ${HOOK_NAMES.join(', ')}`);
      }
      continue; // plugin-owned data is allowed
    }
    if (typeof value !== 'function') throw new PluginError(`plugin "${plugin.name}": hook "${key}" must be a function`);
  }
  return plugin;
}

type HookArgs<K extends HookName> = PluginHooks[K] extends (ctx: PluginContext, ...rest: infer A) => unknown ? A : never;

/** Calls hooks on an ordered list of plugins. */
export class HookRunner {
  readonly plugins: readonly SluicePlugin[];

  constructor(plugins: readonly SluicePlugin[]) {
    const seen = new Set<string>();
    for (const p of plugins) {
      definePlugin(p);
      if (seen.has(p.name)) throw new PluginError(`two plugins are named "${p.name}": plugin names must be unique`);
      seen.add(p.name);
    }
    this.plugins = plugins;
  }

  /** Runs the hook on every plugin, in order; the first throw stops and propagates. */
  async call<K extends Exclude<HookName, 'resume'>>(ctx: PluginContext, hook: K, ...args: HookArgs<K>): Promise<void> {
    for (const plugin of this.plugins) {
      const fn = plugin[hook] as ((c: PluginContext, ...a: HookArgs<K>) => unknown) | undefined;
      if (fn) await fn.call(plugin, ctx, ...args);
    }
  }

  /** Runs the hook on every plugin even if some throw; returns each failure with its plugin's name. */
  async callAll<K extends 'progress' | 'afterCutover' | 'onSuccess' | 'onError' | 'onCancel'>(
    ctx: PluginContext, hook: K, ...args: HookArgs<K>
  ): Promise<Array<{ plugin: string; error: unknown }>> {
    const errors: Array<{ plugin: string; error: unknown }> = [];
    for (const plugin of this.plugins) {
      const fn = plugin[hook] as ((c: PluginContext, ...a: HookArgs<K>) => unknown) | undefined;
      try {
        if (fn) await fn.call(plugin, ctx, ...args);
      } catch (error) {
        errors.push({ plugin: plugin.name, error });
      }
    }
    return errors;
  }

  /** The first plugin whose `resume` returns a value decides the resume point. */
  async resume(ctx: PluginContext): Promise<ResumePoint | undefined> {
    for (const plugin of this.plugins) {
      const point = await plugin.resume?.(ctx);
      if (point !== undefined) return point;
    }
    return undefined;
  }

  has(hook: HookName): boolean {
    return this.plugins.some((p) => typeof p[hook] === 'function');
  }
}
