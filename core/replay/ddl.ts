/**
 * Does a statement from a binlog `query` event change a given table? Reads the statement head
 * only (ALTER / DROP / RENAME / TRUNCATE / CREATE [OR REPLACE] TABLE / CREATE|DROP INDEX … ON /
 * DROP DATABASE; not CREATE TRIGGER … ON, which changes no row or column: the cutover moves the
 * triggers it finds under its lock) and compares whole identifiers, never prefixes, so `t2` and
 * `_t_new` never match `t`. Names compare as the server does: exactly under lower_case_table_names
 * 0 (`T` is another table), case-insensitively under 1 or 2 and when the setting is unknown (a
 * false alarm costs a rerun, a missed change a corrupt copy). `CREATE TABLE IF NOT EXISTS t` on the
 * existing source does nothing (the server still writes it to the binlog): it is not a change.
 */
import { tokenize, type SqlToken } from './sql-tokens.ts';

export interface TableRef {
  readonly schema: string;
  readonly name: string;
  /** The server's @@lower_case_table_names (TableInfo has it); unknown = compare case-insensitively. */
  readonly lowerCaseTableNames?: number;
}

export interface DdlMatch {
  /** e.g. "ALTER TABLE", "TRUNCATE", "DROP DATABASE": what to tell the user, never the statement text. */
  readonly kind: string;
}

interface Name {
  schema: string | undefined;
  name: string;
}

/** The DDL kind when `query` (run with default schema `defaultSchema`) changes `table`, else null. */
export function ddlChangingTable(query: string, defaultSchema: string, table: TableRef): DdlMatch | null {
  const tokens = tokenize(query);
  const found = namedTables(tokens);
  if (!found) return null;
  const same = table.lowerCaseTableNames === 0
    ? (a: string, b: string) => a === b
    : (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (found.database !== undefined) {
    return same(found.database, table.schema) ? { kind: found.kind } : null;
  }
  for (const ref of found.tables) {
    const schema = ref.schema ?? defaultSchema;
    if (schema && same(schema, table.schema) && same(ref.name, table.name)) return { kind: found.kind };
  }
  return null;
}

interface Found {
  kind: string;
  tables: Name[];
  /** DROP DATABASE names a schema instead. */
  database?: string;
}

const isIdent = (t: SqlToken | undefined): boolean => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');

class Cursor {
  i = 0;
  constructor(readonly tokens: SqlToken[]) {}
  peek(offset = 0): SqlToken | undefined {
    return this.tokens[this.i + offset];
  }
  /** Consumes the given keywords (unquoted words, any case) when they all come next. */
  accept(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) {
      const t = this.peek(k);
      if (!t || t.kind !== 'word' || t.text.toUpperCase() !== words[k]) return false;
    }
    this.i += words.length;
    return true;
  }
  /** `name` or `schema.name`. */
  name(): Name | undefined {
    const first = this.peek();
    if (!isIdent(first)) return undefined;
    if (this.peek(1)?.text === '.' && this.peek(1)?.kind === 'punct' && isIdent(this.peek(2))) {
      const second = this.peek(2)!;
      this.i += 3;
      return { schema: first!.text, name: second.text };
    }
    this.i += 1;
    return { schema: undefined, name: first!.text };
  }
  /** Moves past the next unquoted keyword `word`; false when there is none. */
  skipTo(word: string): boolean {
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i++]!;
      if (t.kind === 'word' && t.text.toUpperCase() === word) return true;
    }
    return false;
  }
}

function namedTables(tokens: SqlToken[]): Found | null {
  const c = new Cursor(tokens);
  if (c.accept('ALTER')) return alterTable(c);
  if (c.accept('DROP')) return drop(c);
  if (c.accept('RENAME')) return rename(c);
  if (c.accept('TRUNCATE')) {
    c.accept('TABLE');
    const n = c.name();
    return n ? { kind: 'TRUNCATE', tables: [n] } : null;
  }
  if (c.accept('CREATE')) return create(c);
  return null;
}

function alterTable(c: Cursor): Found | null {
  c.accept('ONLINE');
  c.accept('IGNORE');
  if (!c.accept('TABLE')) return null;
  c.accept('IF', 'EXISTS');
  const main = c.name();
  if (!main) return null;
  const tables = [main];
  // `RENAME [TO|AS] other` and `EXCHANGE PARTITION p WITH TABLE other` also touch a second table.
  while (c.i < c.tokens.length) {
    if (c.accept('WITH', 'TABLE')) {
      const n = c.name();
      if (n) tables.push(n);
    } else if (c.accept('RENAME')) {
      const t = c.peek();
      if (t?.kind === 'word' && ['COLUMN', 'INDEX', 'KEY'].includes(t.text.toUpperCase())) continue;
      if (!c.accept('TO')) c.accept('AS');
      const n = c.name();
      if (n) tables.push(n);
    } else {
      c.i++;
    }
  }
  return { kind: 'ALTER TABLE', tables };
}

function drop(c: Cursor): Found | null {
  if (c.accept('DATABASE') || c.accept('SCHEMA')) {
    c.accept('IF', 'EXISTS');
    const db = c.peek();
    return isIdent(db) ? { kind: 'DROP DATABASE', tables: [], database: db!.text } : null;
  }
  if (c.accept('TEMPORARY')) return null; // session-private tables, never the source
  if (c.accept('TABLE') || c.accept('TABLES')) {
    c.accept('IF', 'EXISTS');
    return { kind: 'DROP TABLE', tables: nameList(c) };
  }
  if (c.accept('INDEX')) {
    c.accept('IF', 'EXISTS');
    if (!c.skipTo('ON')) return null;
    const n = c.name();
    return n ? { kind: 'DROP INDEX', tables: [n] } : null;
  }
  return null;
}

/** `a, db.b, c` (stops at anything else). */
function nameList(c: Cursor): Name[] {
  const names: Name[] = [];
  for (;;) {
    const n = c.name();
    if (!n) break;
    names.push(n);
    if (c.peek()?.kind === 'punct' && c.peek()?.text === ',') c.i++;
    else break;
  }
  return names;
}

/** RENAME TABLE[S] [IF EXISTS] a [WAIT n|NOWAIT] TO b, c TO d: every name on either side. */
function rename(c: Cursor): Found | null {
  if (!c.accept('TABLE') && !c.accept('TABLES')) return null;
  const tables: Name[] = [];
  while (c.i < c.tokens.length) {
    if (c.accept('IF', 'EXISTS') || c.accept('TO') || c.accept('NOWAIT')) continue;
    if (c.accept('WAIT')) {
      c.i++;
      continue;
    }
    const t = c.peek();
    if (t?.kind === 'punct') {
      c.i++;
      continue;
    }
    const n = c.name();
    if (n) tables.push(n);
    else c.i++;
  }
  return { kind: 'RENAME TABLE', tables };
}

function create(c: Cursor): Found | null {
  const replace = c.accept('OR', 'REPLACE');
  if (c.accept('TEMPORARY')) return null;
  if (c.accept('TABLE')) {
    // The source exists while it is migrated (dropping it is caught first): IF NOT EXISTS is a no-op.
    if (c.accept('IF', 'NOT', 'EXISTS') && !replace) return null;
    const n = c.name();
    return n ? { kind: 'CREATE TABLE', tables: [n] } : null;
  }
  // CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX … ON t (a trigger is not a change: see the head comment)
  const rest = c.tokens.slice(c.i);
  const head = rest.findIndex((t) => t.kind === 'word' && ['INDEX', 'TRIGGER', 'TABLE', 'VIEW', 'PROCEDURE', 'FUNCTION', 'EVENT', 'DATABASE', 'SCHEMA', 'USER', 'ROLE', 'SEQUENCE', 'SERVER'].includes(t.text.toUpperCase()));
  if (head < 0) return null;
  const kind = rest[head]!.text.toUpperCase();
  if (kind !== 'INDEX') return null;
  c.i += head + 1;
  if (!c.skipTo('ON')) return null;
  const n = c.name();
  return n ? { kind: `CREATE ${kind}`, tables: [n] } : null;
}
