/**
 * A stack of disposers: resources are pushed as they are acquired and closed in reverse.
 *
 * Sluice does not use tsyringe's container.dispose() (construction order, concurrent, skips
 * factories) nor a global AsyncDisposableStack polyfill: Node 20 has neither AsyncDisposableStack
 * nor SuppressedError, and we want every disposer's error collected rather than chained.
 */
import { MigrationCancelledError } from '../errors.ts';

export type Disposer = () => unknown | Promise<unknown>;

interface Entry {
  name: string;
  dispose: Disposer;
}

export class DisposalStack {
  #entries: Entry[] = [];
  #disposing: Promise<unknown[]> | undefined;

  /** True once disposeAll() has started: nothing more may be acquired. */
  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  /** Names of the registered disposers, oldest first (for diagnostics and tests). */
  get names(): string[] {
    return this.#entries.map((e) => e.name);
  }

  /**
   * Registers a disposer. If the stack is already being disposed, the disposer runs at once and
   * the caller gets a MigrationCancelledError: a resource acquired too late never outlives dispose.
   */
  async defer(name: string, dispose: Disposer): Promise<void> {
    if (this.#disposing) {
      await dispose();
      throw new MigrationCancelledError(`"${name}" was acquired while the migration was being disposed`);
    }
    this.#entries.push({ name, dispose });
  }

  /** Registers an AsyncDisposable or Disposable and returns it. */
  async use<T extends AsyncDisposable | Disposable>(name: string, resource: T): Promise<T> {
    const dispose = Symbol.asyncDispose in resource
      ? () => (resource as AsyncDisposable)[Symbol.asyncDispose]()
      : () => (resource as Disposable)[Symbol.dispose]();
    await this.defer(name, dispose);
    return resource;
  }

  /**
   * Disposes everything in reverse order of registration, one at a time. Every disposer runs even
   * if an earlier one failed; the errors are returned (never thrown). Idempotent: later and
   * concurrent calls return the same result.
   */
  disposeAll(): Promise<unknown[]> {
    this.#disposing ??= this.#run();
    return this.#disposing;
  }

  async #run(): Promise<unknown[]> {
    const errors: unknown[] = [];
    while (this.#entries.length > 0) {
      const entry = this.#entries.pop()!;
      try {
        await entry.dispose();
      } catch (err) {
        errors.push(err instanceof Error ? Object.assign(err, { disposer: entry.name }) : err);
      }
    }
    return errors;
  }
}
