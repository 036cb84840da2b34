/**
 * One tsyringe child container per migration. Core registers what it owns (options, logger,
 * connection pool, table info, ...); plugins resolve those and may register their own services
 * (the throttler plugin registers the Throttler others consult). Disposal is NOT delegated to
 * tsyringe: see core/lifecycle/disposal-stack.ts.
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Token } from './tokens.ts';

export class MigrationContainer {
  readonly #container: DependencyContainer;

  constructor(parent: DependencyContainer = rootContainer) {
    this.#container = parent.createChildContainer();
  }

  /** Registers a value (replacing any earlier registration of the token in this migration). */
  provide<T>(tok: Token<T>, value: T): void {
    this.#container.register<T>(tok, { useValue: value });
  }

  /** Registers a lazily built singleton; the factory sees the same container. */
  provideFactory<T>(tok: Token<T>, factory: (c: MigrationContainer) => T): void {
    let built: { value: T } | undefined;
    this.#container.register<T>(tok, {
      useFactory: () => (built ??= { value: factory(this) }).value,
    });
  }

  has(tok: Token<unknown>): boolean {
    return this.#container.isRegistered(tok, true);
  }

  resolve<T>(tok: Token<T>): T {
    if (!this.has(tok)) throw new Error(`nothing is registered for ${tok.description}`);
    return this.#container.resolve<T>(tok);
  }

  /** Resolves a token if registered, else undefined. */
  tryResolve<T>(tok: Token<T>): T | undefined {
    return this.has(tok) ? this.#container.resolve<T>(tok) : undefined;
  }
}
