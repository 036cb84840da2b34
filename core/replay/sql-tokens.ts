/**
 * A small SQL tokenizer, enough to read the head of a DDL statement from a binlog `query` event:
 * words, quoted identifiers, string literals and punctuation; comments are dropped, while the
 * body of an executable comment (`/*! … *\/`, `/*M! … *\/`) is kept, as the server runs it.
 */

export type SqlToken =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'quoted'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'punct'; readonly text: string };

const WORD = /[A-Za-z0-9_$\u0080-\uFFFF]/;

export function tokenize(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '-' && next === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]!)))) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const exec = /^\/\*M?!\d*/.exec(sql.slice(i, i + 12));
      if (exec) {
        i += exec[0].length; // executable comment: its body is SQL
      } else {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
      }
    } else if (c === '*' && next === '/') {
      i += 2; // end of an executable comment
    } else if (c === '`' || c === '"') {
      const [text, end] = readQuoted(sql, i, c);
      out.push({ kind: 'quoted', text });
      i = end;
    } else if (c === "'") {
      const [text, end] = readQuoted(sql, i, c);
      out.push({ kind: 'string', text });
      i = end;
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < n && WORD.test(sql[j]!)) j++;
      out.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else {
      out.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return out;
}

/** Reads a quoted token starting at `start`; a doubled quote stands for itself, `\` escapes in strings. */
function readQuoted(sql: string, start: number, quote: string): [string, number] {
  let text = '';
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === '\\' && quote === "'") {
      text += sql[i + 1] ?? '';
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) {
        text += quote;
        i += 2;
      } else {
        return [text, i + 1];
      }
    } else {
      text += c;
      i++;
    }
  }
  return [text, i];
}
