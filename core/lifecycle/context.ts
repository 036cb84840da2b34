/**
 * What plugins and phases see of a migration: its options, the abort signal, a logger, the
 * container (resolve/provide by token), the disposal stack (defer), and the event stream.
 */
import type { MigrationContainer } from '../container/container.ts';
import type { Token } from '../container/tokens.ts';
import type { DisposalStack, Disposer } from './disposal-stack.ts';
import type { HookRunner } from './hooks.ts';
import type { LogLevel, MigrationEvent, MigrationEventBody } from '../types.ts';
import { redact } from './redact.ts';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface PluginContext {
  /** Aborted when the run is cancelled or the migration disposed. Pass it to every wait. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  resolve<T>(tok: Token<T>): T;
  tryResolve<T>(tok: Token<T>): T | undefined;
  provide<T>(tok: Token<T>, value: T): void;
  /** Registers a disposer: it runs after the run has settled, in reverse order of registration. */
  defer(name: string, dispose: Disposer): Promise<void>;
  /** Emits an event to the migration's listeners (CLI progress, --json, callers), stamped with its `time`. */
  emit(event: MigrationEventBody): void;
}

/** What core phases see in addition: the hooks to call at their points of the lifecycle. */
export interface PhaseContext extends PluginContext {
  readonly hooks: HookRunner;
  /** The same context with a narrower signal (a phase's own, aborted when its loops fail). */
  withSignal(signal: AbortSignal): PhaseContext;
}

export class MigrationContext implements PhaseContext {
  readonly log: Logger;

  constructor(
    readonly signal: AbortSignal,
    readonly hooks: HookRunner,
    private readonly container: MigrationContainer,
    private readonly stack: DisposalStack,
    private readonly listener: (event: MigrationEvent) => void,
    private readonly secrets: readonly string[],
  ) {
    const at = (level: LogLevel) => (message: string) => this.emit({ type: 'log', level, message });
    this.log = { debug: at('debug'), info: at('info'), warn: at('warn') };
  }

  withSignal(signal: AbortSignal): PhaseContext {
    return new MigrationContext(signal, this.hooks, this.container, this.stack, this.listener, this.secrets);
  }

  resolve<T>(tok: Token<T>): T {
    return this.container.resolve(tok);
  }

  tryResolve<T>(tok: Token<T>): T | undefined {
    return this.container.tryResolve(tok);
  }

  provide<T>(tok: Token<T>, value: T): void {
    this.container.provide(tok, value);
  }

  defer(name: string, dispose: Disposer): Promise<void> {
    return this.stack.defer(name, dispose);
  }

  emit(event: MigrationEventBody): void {
    this.listener(redact({ ...event, time: new Date().toISOString() }, this.secrets));
  }
}
