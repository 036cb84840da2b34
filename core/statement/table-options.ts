/** Table options of a parsed statement that Sluice must honour itself (not only pass to the server). */
import { isPunct, keyword, tokenize } from './tokenize.ts';
import type { ParsedAlter } from './types.ts';

/**
 * The counter an `AUTO_INCREMENT [=] N` table option sets (the last one wins, as on the server),
 * or undefined when the statement sets none. The server gives max(N, MAX(id) + 1).
 */
export function statementAutoIncrement(parsed: Pick<ParsedAlter, 'clauses'>): bigint | undefined {
  let value: bigint | undefined;
  for (const clause of parsed.clauses) {
    if (clause.kind !== 'table-option') continue;
    const tokens = tokenize(clause.text);
    if (keyword(tokens[0]) !== 'AUTO_INCREMENT') continue;
    const v = tokens[isPunct(tokens[1], '=') ? 2 : 1];
    if (v?.kind === 'word' && /^\d+$/.test(v.text)) value = BigInt(v.text);
  }
  return value;
}
