/**
 * Reads `SHOW GRANTS` lines with the statement tokenizer: which privileges, at which level, to whom.
 * Column-level privileges, routine grants, proxy grants and role memberships are kept out (they
 * never give what Sluice needs); a line that cannot be read is ignored.
 */
import { identifier, isPunct, keyword, tokenize, type Token } from '../statement/tokenize.ts';

export interface Grant {
  /** Upper case, words separated by one space: "SELECT", "REPLICATION SLAVE", "ALL PRIVILEGES". */
  readonly privileges: readonly string[];
  /** global: ON *.*; schema: ON `db`.*; table: ON `db`.`t`. */
  readonly level: 'global' | 'schema' | 'table';
  /** The schema as written in the grant (may hold the wildcards % and _). */
  readonly schema?: string;
  readonly table?: string;
  /** The account the grant is for. */
  readonly user: string;
  readonly host: string;
}

function splitTopLevelCommas(tokens: readonly Token[]): Token[][] {
  const groups: Token[][] = [[]];
  for (const t of tokens) {
    if (t.depth === 0 && isPunct(t, ',')) groups.push([]);
    else groups[groups.length - 1]!.push(t);
  }
  return groups.filter((g) => g.length > 0);
}

const nameOrString = (t: Token | undefined) => (t?.kind === 'string' ? t.value : identifier(t));

export function parseGrant(line: string): Grant | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(line);
  } catch {
    return undefined;
  }
  if (keyword(tokens[0]) !== 'GRANT') return undefined;
  const on = tokens.findIndex((t, i) => i > 0 && t.depth === 0 && keyword(t) === 'ON');
  const to = tokens.findIndex((t, i) => i > on && t.depth === 0 && keyword(t) === 'TO');
  if (on < 0 || to < 0) return undefined; // a role membership: GRANT `role` TO `u`@`h`
  const privileges = splitTopLevelCommas(tokens.slice(1, on))
    .filter((g) => !g.some((t) => isPunct(t, '('))) // column privileges: SELECT (`a`)
    .map((g) => g.map((t) => t.text.toUpperCase()).join(' '));

  const target = tokens.slice(on + 1, to);
  if (target.length !== 3 || !isPunct(target[1], '.')) return undefined; // routines, proxies, `ON *`
  const user = nameOrString(tokens[to + 1]);
  const host = isPunct(tokens[to + 2], '@') ? nameOrString(tokens[to + 3]) : '%';
  if (user === undefined || host === undefined) return undefined;
  const star = (t: Token | undefined) => isPunct(t, '*');
  if (star(target[0]) && star(target[2])) return { privileges, level: 'global', user, host };
  const schema = identifier(target[0]);
  if (schema === undefined) return undefined;
  if (star(target[2])) return { privileges, level: 'schema', schema, user, host };
  const table = identifier(target[2]);
  return table === undefined ? undefined : { privileges, level: 'table', schema, table, user, host };
}

/** Whether a schema-level grant's name (with % and _ wildcards, \ escapes) covers `schema`. */
export function schemaPatternMatches(pattern: string, schema: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]!);
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, 's').test(schema);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
