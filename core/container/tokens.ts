/**
 * Typed injection tokens. tsx/esbuild emit no decorator metadata, so nothing in Sluice is
 * auto-wired by constructor type: every dependency is registered and resolved by token.
 */
declare const tokenType: unique symbol;

/** A tsyringe injection token that carries the type of what it resolves to. */
export type Token<T> = symbol & { readonly [tokenType]?: T };

export function token<T>(description: string): Token<T> {
  return Symbol(`sluice:${description}`) as Token<T>;
}
