/**
 * The statement as the migration's identity (what a checkpoint is written for): the user's text
 * with the table reference spelled as the server stores it. Under lower_case_table_names 1 or 2,
 * `ALTER TABLE Orders …` and `ALTER TABLE orders …` alter the same table and must find the same
 * checkpoint; every other byte of the statement is kept as written.
 */
import mysql from 'mysql2/promise';
import { identifier, isPunct, keyword, tokenize, type Token } from './tokenize.ts';

const PLAIN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

function spell(token: Token, stored: string): string {
  if (token.value === stored) return token.text;
  return token.kind === 'word' && PLAIN.test(stored) ? stored : mysql.escapeId(stored, true);
}

/** `statement` with its `[schema.]table` after ALTER TABLE [IF EXISTS] respelled as `schema`/`table`. */
export function withStoredNames(statement: string, schema: string, table: string): string {
  const tokens = tokenize(statement);
  let i = 2;
  if (keyword(tokens[0]) !== 'ALTER' || keyword(tokens[1]) !== 'TABLE') return statement;
  if (keyword(tokens[i]) === 'IF' && keyword(tokens[i + 1]) === 'EXISTS') i += 2;
  const first = tokens[i];
  if (identifier(first) === undefined) return statement;
  const qualified = isPunct(tokens[i + 1], '.') && identifier(tokens[i + 2]) !== undefined;
  const edits: Array<[Token, string]> = qualified ? [[first!, schema], [tokens[i + 2]!, table]] : [[first!, table]];
  let out = statement;
  for (const [token, stored] of edits.reverse()) out = out.slice(0, token.start) + spell(token, stored) + out.slice(token.end);
  return out;
}
