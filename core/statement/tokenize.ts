/**
 * A small MySQL/MariaDB lexer: enough to split a statement into clauses without guessing.
 * It knows backtick identifiers (`` `a``b` ``), single- and double-quoted strings (backslash
 * escapes and doubled quotes, as under Sluice's sql_mode), `--`, `#` and `/* *\/` comments, and
 * tracks parenthesis depth. Comments are dropped; every token keeps its offsets in the source.
 */
import { InvalidStatementError } from './errors.ts';

export type TokenKind =
  /** A bare word: keyword, unquoted identifier or number (`ADD`, `t1`, `255`, `utf8mb4`). */
  | 'word'
  /** A backticked identifier; `value` is the name with `` `` `` unescaped. */
  | 'quoted-id'
  /** A '…' or "…" literal; `value` is its content with escapes resolved. */
  | 'string'
  /** Any other single character: ( ) , ; . = @ * + - … */
  | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** The token exactly as written. */
  readonly text: string;
  /** Unquoted name (quoted-id), unescaped content (string), else the text. */
  readonly value: string;
  /** Offsets in the source: text === source.slice(start, end). */
  readonly start: number;
  readonly end: number;
  /** Parenthesis depth the token sits at (an opening or closing parenthesis counts as outside). */
  readonly depth: number;
}

const STRING_ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

function isWordChar(ch: string): boolean {
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

/** Splits `sql` into tokens. Throws InvalidStatementError on an unterminated quote or comment or unbalanced parentheses. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (isSpace(ch)) {
      i++;
      continue;
    }
    // Comments: `#…`, `-- …` (the dashes must be followed by a space, a control character or the end), `/* … */`.
    if (ch === '#' || (ch === '-' && next === '-' && (i + 2 >= n || sql.charCodeAt(i + 2) <= 0x20))) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (ch === '/' && next === '*') {
      if (sql[i + 2] === '!' || (sql[i + 2] === 'M' && sql[i + 3] === '!')) {
        throw new InvalidStatementError(`executable comments (/*! … */) are not supported: write the clause without the comment wrapper`);
      }
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new InvalidStatementError(`unterminated /* comment at offset ${i}: close it with */`);
      i = close + 2;
      continue;
    }
    if (ch === '`' || ch === "'" || ch === '"') {
      const { end, value } = readQuoted(sql, i);
      tokens.push({ kind: ch === '`' ? 'quoted-id' : 'string', text: sql.slice(i, end), value, start: i, end, depth });
      i = end;
      continue;
    }
    if (isWordChar(ch)) {
      let j = i + 1;
      while (j < n && isWordChar(sql[j]!)) j++;
      const text = sql.slice(i, j);
      tokens.push({ kind: 'word', text, value: text, start: i, end: j, depth });
      i = j;
      continue;
    }
    if (ch === ')') {
      if (depth === 0) throw new InvalidStatementError(`unbalanced parentheses: ")" at offset ${i} has no matching "("`);
      depth--;
    }
    tokens.push({ kind: 'punct', text: ch, value: ch, start: i, end: i + 1, depth });
    if (ch === '(') depth++;
    i++;
  }
  if (depth !== 0) throw new InvalidStatementError(`unbalanced parentheses: ${depth} "(" never closed`);
  return tokens;
}

function readQuoted(sql: string, start: number): { end: number; value: string } {
  const quote = sql[start]!;
  let value = '';
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { end: i + 1, value };
    }
    if (ch === '\\' && quote !== '`' && i + 1 < sql.length) {
      const esc = sql[i + 1]!;
      value += STRING_ESCAPES[esc] ?? esc;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  const what = quote === '`' ? 'backtick identifier' : 'quoted string';
  throw new InvalidStatementError(`unterminated ${what} starting at offset ${start}: close the ${quote} quote`);
}

/** The upper-cased word, or undefined when the token is not a bare word. */
export function keyword(token: Token | undefined): string | undefined {
  return token?.kind === 'word' ? token.text.toUpperCase() : undefined;
}

/** True when the token is one of the given punctuation characters. */
export function isPunct(token: Token | undefined, ...chars: string[]): boolean {
  return token?.kind === 'punct' && chars.includes(token.text);
}

/** The unquoted identifier a token names (bare word or backticks), else undefined. */
export function identifier(token: Token | undefined): string | undefined {
  return token && (token.kind === 'word' || token.kind === 'quoted-id') ? token.value : undefined;
}

