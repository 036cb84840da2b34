/**
 * parseAlter: turns the user's `ALTER TABLE [db.]t <clauses>` into a ParsedAlter (see README.md).
 * Built on the tokenizer: clauses are split on top-level commas, table options (which the server
 * also accepts space-separated) one per option, and a trailing `PARTITION BY …` /
 * `REMOVE PARTITIONING` (accepted without a comma) becomes a clause of its own.
 */
import { InvalidStatementError } from './errors.ts';
import { oneLine } from '../format.ts';
import { identifier, isPunct, keyword, tokenize, type Token } from './tokenize.ts';
import type { AlterClause, AlterClauseKind, ParsedAlter } from './types.ts';

const USAGE = 'pass one statement like "ALTER TABLE db.t ADD COLUMN c INT"';

/** First words of a table-option clause (`ENGINE=InnoDB COMMENT='x' …`). */
const TABLE_OPTIONS = new Set([
  'ALGORITHM', 'LOCK', 'ENGINE', 'TYPE', 'AUTO_INCREMENT', 'AUTOEXTEND_SIZE', 'AVG_ROW_LENGTH', 'CHARACTER', 'CHARSET',
  'CHECKSUM', 'TABLE_CHECKSUM', 'COLLATE', 'COMMENT', 'COMPRESSION', 'CONNECTION', 'DELAY_KEY_WRITE', 'ENCRYPTION',
  'ENCRYPTED', 'ENCRYPTION_KEY_ID', 'ENGINE_ATTRIBUTE', 'SECONDARY_ENGINE', 'SECONDARY_ENGINE_ATTRIBUTE', 'IETF_QUOTES',
  'INSERT_METHOD', 'KEY_BLOCK_SIZE', 'MAX_ROWS', 'MIN_ROWS', 'PACK_KEYS', 'PAGE_CHECKSUM', 'PAGE_COMPRESSED',
  'PAGE_COMPRESSION_LEVEL', 'PASSWORD', 'ROW_FORMAT', 'SEQUENCE', 'STATS_AUTO_RECALC', 'STATS_PERSISTENT',
  'STATS_SAMPLE_PAGES', 'TABLESPACE', 'TRANSACTIONAL', 'UNION',
]);

interface Classified {
  kind: AlterClauseKind;
  name?: string | undefined;
  newName?: string | undefined;
}

export function parseAlter(statement: string): ParsedAlter {
  if (typeof statement !== 'string' || statement.trim() === '') {
    throw new InvalidStatementError(`the statement is empty: ${USAGE}`);
  }
  let tokens = tokenize(statement);
  if (tokens.length === 0) throw new InvalidStatementError(`the statement holds only comments: ${USAGE}`);
  const semi = tokens.findIndex((t) => isPunct(t, ';'));
  if (semi >= 0) {
    if (semi < tokens.length - 1) throw new InvalidStatementError(`several statements were given (";" at offset ${tokens[semi]!.start}): ${USAGE}`);
    tokens = tokens.slice(0, semi);
  }
  const head = oneLine(tokens.slice(0, 3).map((t) => t.text).join(' '), 60);
  if (keyword(tokens[0]) !== 'ALTER') throw new InvalidStatementError(`"${head}…" is not an ALTER TABLE statement: ${USAGE}`);
  if (keyword(tokens[1]) !== 'TABLE') {
    const k = keyword(tokens[1]);
    if (k === 'ONLINE' || k === 'IGNORE') {
      throw new InvalidStatementError(`ALTER ${k} TABLE is not supported: write plain ALTER TABLE (Sluice is already online and never drops rows)`);
    }
    throw new InvalidStatementError(`"${head}…" is not an ALTER TABLE statement: ${USAGE}`);
  }
  let i = 2;
  if (keyword(tokens[i]) === 'IF' && keyword(tokens[i + 1]) === 'EXISTS') i += 2;
  const first = identifier(tokens[i]);
  if (first === undefined) throw new InvalidStatementError(`no table name after ALTER TABLE: ${USAGE}`);
  let schema: string | undefined;
  let table = first;
  i++;
  if (isPunct(tokens[i], '.')) {
    const second = identifier(tokens[i + 1]);
    if (second === undefined) throw new InvalidStatementError(`no table name after "${first}.": ${USAGE}`);
    schema = first;
    table = second;
    i += 2;
  }
  if (namesAnotherTable(tokens, i)) {
    throw new InvalidStatementError(`ALTER TABLE names several tables (${oneLine(table, 64)}, …): one table per statement; run one migration per table`);
  }
  const k = keyword(tokens[i]);
  if (k === 'WAIT' || k === 'NOWAIT') {
    throw new InvalidStatementError(`${k} is not supported: remove it, Sluice sets its own lock timeouts`);
  }
  const rest = tokens.slice(i);
  if (rest.length === 0) throw new InvalidStatementError(`ALTER TABLE ${oneLine(table, 64)} names no change: add the clauses to apply`);
  const spec = statement.slice(rest[0]!.start, rest[rest.length - 1]!.end);

  const clauses: AlterClause[] = [];
  for (const group of splitOnCommas(rest, statement)) {
    for (const part of splitTrailingPartitioning(group)) {
      const pieces = isTableOptionGroup(part) ? splitTableOptions(part) : [part];
      for (const piece of pieces) clauses.push(toClause(piece, statement));
    }
  }
  const renamedColumns = new Map<string, string>();
  for (const c of clauses) {
    if ((c.kind === 'change-column' || c.kind === 'rename-column') && c.name !== undefined && c.newName !== undefined
      && c.name.toLowerCase() !== c.newName.toLowerCase()) {
      renamedColumns.set(c.name, c.newName);
    }
  }
  return { schema, table, spec, clauses, renamedColumns };
}

function textOf(tokens: readonly Token[], source: string): string {
  return source.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
}

function splitOnCommas(tokens: readonly Token[], source: string): Token[][] {
  const groups: Token[][] = [[]];
  for (const t of tokens) {
    if (t.depth === 0 && isPunct(t, ',')) groups.push([]);
    else groups[groups.length - 1]!.push(t);
  }
  groups.forEach((g, index) => {
    if (g.length === 0) {
      const where = index === 0 ? 'before the first clause' : index === groups.length - 1 ? 'after the last clause' : `after "${oneLine(textOf(groups[index - 1]!, source))}"`;
      throw new InvalidStatementError(`empty clause ${where}: remove the extra comma`);
    }
  });
  return groups;
}

/** `… PARTITION BY …` and `… REMOVE PARTITIONING` may follow the last clause without a comma. */
function splitTrailingPartitioning(group: Token[]): Token[][] {
  for (let j = 1; j < group.length; j++) {
    if (group[j]!.depth !== 0) continue;
    const k = keyword(group[j]);
    const k2 = keyword(group[j + 1]);
    if ((k === 'PARTITION' && k2 === 'BY') || (k === 'REMOVE' && k2 === 'PARTITIONING')) return [group.slice(0, j), group.slice(j)];
  }
  return [group];
}

function isTableOptionGroup(group: readonly Token[]): boolean {
  const k0 = keyword(group[0]);
  const k1 = keyword(group[1]);
  if (k0 === undefined) return false;
  if (TABLE_OPTIONS.has(k0)) return true;
  if (k0 === 'DEFAULT') return k1 === 'CHARACTER' || k1 === 'CHAR' || k1 === 'CHARSET' || k1 === 'COLLATE';
  if ((k0 === 'DATA' || k0 === 'INDEX') && k1 === 'DIRECTORY') return true;
  return isPunct(group[1], '=');
}

/** `[DEFAULT] name [=] value` repeated: one piece per option. */
function splitTableOptions(group: Token[]): Token[][] {
  const pieces: Token[][] = [];
  let i = 0;
  while (i < group.length) {
    const start = i;
    if (keyword(group[i]) === 'DEFAULT') i++;
    const k = keyword(group[i]);
    const k1 = keyword(group[i + 1]);
    if ((k === 'CHARACTER' || k === 'CHAR') && k1 === 'SET') i += 2;
    else if ((k === 'DATA' || k === 'INDEX') && k1 === 'DIRECTORY') i += 2;
    else i++;
    if (isPunct(group[i], '=')) i++;
    if (i < group.length) {
      if (isPunct(group[i], '(')) i = afterParens(group, i);
      else if (group[i]!.kind === 'string') while (group[i]?.kind === 'string') i++; // 'a' 'b' concatenates
      else i++;
    }
    pieces.push(group.slice(start, i));
  }
  return pieces;
}

function afterParens(tokens: readonly Token[], open: number): number {
  const depth = tokens[open]!.depth;
  for (let j = open + 1; j < tokens.length; j++) if (isPunct(tokens[j], ')') && tokens[j]!.depth === depth) return j + 1;
  return tokens.length;
}

function toClause(tokens: Token[], source: string): AlterClause {
  const text = textOf(tokens, source);
  const c = classify(tokens, text);
  return {
    kind: c.kind,
    text,
    ...(c.name !== undefined ? { name: c.name } : {}),
    ...(c.newName !== undefined ? { newName: c.newName } : {}),
  };
}

/** Index after an optional IF EXISTS / IF NOT EXISTS at j. */
function skipIfExists(tokens: readonly Token[], j: number): number {
  if (keyword(tokens[j]) !== 'IF') return j;
  if (keyword(tokens[j + 1]) === 'EXISTS') return j + 2;
  if (keyword(tokens[j + 1]) === 'NOT' && keyword(tokens[j + 2]) === 'EXISTS') return j + 3;
  return j;
}

function requireName(tokens: readonly Token[], j: number, what: string, text: string): string {
  const name = identifier(tokens[j]);
  if (name === undefined) throw new InvalidStatementError(`cannot read the ${what} name in "${oneLine(text)}": write it as a plain or backticked identifier`);
  return name;
}

/** An optional index name at j (absent when the column list or USING follows). */
function optionalIndexName(tokens: readonly Token[], j: number): string | undefined {
  j = skipIfExists(tokens, j);
  if (isPunct(tokens[j], '(') || keyword(tokens[j]) === 'USING') return undefined;
  return identifier(tokens[j]);
}

function classify(tokens: readonly Token[], text: string): Classified {
  const k0 = keyword(tokens[0]);
  switch (k0) {
    case 'ADD': return classifyAdd(tokens, text);
    case 'DROP': return classifyDrop(tokens, text);
    case 'CHANGE': {
      const j = skipIfExists(tokens, keyword(tokens[1]) === 'COLUMN' ? 2 : 1);
      return { kind: 'change-column', name: requireName(tokens, j, 'column', text), newName: requireName(tokens, j + 1, 'new column', text) };
    }
    case 'MODIFY': {
      const j = skipIfExists(tokens, keyword(tokens[1]) === 'COLUMN' ? 2 : 1);
      return { kind: 'modify-column', name: requireName(tokens, j, 'column', text) };
    }
    case 'RENAME': return classifyRename(tokens, text);
    case 'ALTER': {
      const k1 = keyword(tokens[1]);
      if (k1 === 'INDEX' || k1 === 'KEY' || k1 === 'CHECK' || k1 === 'CONSTRAINT') return { kind: 'other', name: identifier(tokens[2]) };
      const j = skipIfExists(tokens, k1 === 'COLUMN' ? 2 : 1);
      return { kind: 'alter-column', name: requireName(tokens, j, 'column', text) };
    }
    case 'CONVERT': return { kind: keyword(tokens[1]) === 'TO' ? 'convert-charset' : 'other' };
    case 'FORCE': return { kind: tokens.length === 1 ? 'force' : 'other' };
    default: {
      if (!isTableOptionGroup(tokens)) return { kind: 'other' };
      const option = keyword(tokens[0]) === 'DEFAULT' ? keyword(tokens[1]) : k0;
      if (option === 'ALGORITHM') return { kind: 'algorithm' };
      if (option === 'LOCK') return { kind: 'lock' };
      if (option === 'ENGINE' || option === 'TYPE') return { kind: 'engine' };
      return { kind: 'table-option' };
    }
  }
}

function classifyAdd(tokens: readonly Token[], text: string): Classified {
  const k1 = keyword(tokens[1]);
  const k2 = keyword(tokens[2]);
  switch (k1) {
    case 'INDEX': case 'KEY':
      return { kind: 'add-index', name: optionalIndexName(tokens, 2) };
    case 'UNIQUE': case 'FULLTEXT': case 'SPATIAL': case 'VECTOR':
      return { kind: 'add-index', name: optionalIndexName(tokens, k2 === 'INDEX' || k2 === 'KEY' ? 3 : 2) };
    case 'PRIMARY':
      return { kind: 'add-primary-key' };
    case 'FOREIGN':
      return { kind: 'add-foreign-key', name: optionalIndexName(tokens, 3) };
    case 'CONSTRAINT': {
      let j = skipIfExists(tokens, 2);
      let symbol: string | undefined;
      if (!['PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK'].includes(keyword(tokens[j]) ?? '')) symbol = identifier(tokens[j++]);
      const what = keyword(tokens[j]);
      if (what === 'PRIMARY') return { kind: 'add-primary-key', name: symbol };
      if (what === 'FOREIGN') return { kind: 'add-foreign-key', name: symbol ?? optionalIndexName(tokens, j + 2) };
      if (what === 'UNIQUE') {
        const k = keyword(tokens[j + 1]);
        return { kind: 'add-index', name: optionalIndexName(tokens, k === 'INDEX' || k === 'KEY' ? j + 2 : j + 1) ?? symbol };
      }
      return { kind: 'other', name: symbol };
    }
    case 'CHECK': case 'PARTITION':
      return { kind: 'other' };
    case 'PERIOD': case 'SYSTEM':
      if ((k1 === 'PERIOD' && k2 === 'FOR') || (k1 === 'SYSTEM' && k2 === 'VERSIONING')) return { kind: 'other' };
      break;
  }
  const j = skipIfExists(tokens, k1 === 'COLUMN' ? 2 : 1);
  if (isPunct(tokens[j], '(')) return { kind: 'add-column' }; // ADD [COLUMN] (a INT, b INT)
  return { kind: 'add-column', name: requireName(tokens, j, 'column', text) };
}

function classifyDrop(tokens: readonly Token[], text: string): Classified {
  const k1 = keyword(tokens[1]);
  const k2 = keyword(tokens[2]);
  switch (k1) {
    case 'INDEX': case 'KEY': {
      const name = requireName(tokens, skipIfExists(tokens, 2), 'index', text);
      return name.toUpperCase() === 'PRIMARY' ? { kind: 'drop-primary-key' } : { kind: 'drop-index', name };
    }
    case 'PRIMARY':
      return { kind: 'drop-primary-key' };
    case 'FOREIGN':
      return { kind: 'drop-foreign-key', name: requireName(tokens, skipIfExists(tokens, 3), 'foreign key', text) };
    case 'CONSTRAINT': {
      const name = requireName(tokens, skipIfExists(tokens, 2), 'constraint', text);
      return name.toUpperCase() === 'PRIMARY' ? { kind: 'drop-primary-key' } : { kind: 'other', name };
    }
    case 'CHECK':
      return { kind: 'other', name: identifier(tokens[2]) };
    case 'PARTITION':
      return { kind: 'other' };
    case 'PERIOD': case 'SYSTEM':
      if ((k1 === 'PERIOD' && k2 === 'FOR') || (k1 === 'SYSTEM' && k2 === 'VERSIONING')) return { kind: 'other' };
      break;
  }
  const j = skipIfExists(tokens, k1 === 'COLUMN' ? 2 : 1);
  return { kind: 'drop-column', name: requireName(tokens, j, 'column', text) };
}

function classifyRename(tokens: readonly Token[], text: string): Classified {
  const k1 = keyword(tokens[1]);
  if (k1 === 'COLUMN' || k1 === 'INDEX' || k1 === 'KEY') {
    const what = k1 === 'COLUMN' ? 'column' : 'index';
    const j = skipIfExists(tokens, 2);
    const name = requireName(tokens, j, what, text);
    if (keyword(tokens[j + 1]) !== 'TO') throw new InvalidStatementError(`expected "TO" in "${oneLine(text)}": write RENAME ${k1} old TO new`);
    const newName = requireName(tokens, j + 2, `new ${what}`, text);
    return { kind: k1 === 'COLUMN' ? 'rename-column' : 'rename-index', name, newName };
  }
  const j = k1 === 'TO' || k1 === 'AS' ? 2 : 1;
  const parts = tokens.slice(j).map(identifier).filter((p): p is string => p !== undefined);
  return { kind: 'rename-table', name: parts.length > 0 ? parts.join('.') : undefined };
}

/** The first clause of another table (`ALTER TABLE a, b ADD …`, `a, db.b …`, `a, b, c …`) after a comma at `i`. */
const TABLE_FOLLOWER = new Set(['ADD', 'DROP', 'MODIFY', 'CHANGE', 'ALTER', 'RENAME', 'ENGINE', 'CONVERT', 'FORCE']);
function namesAnotherTable(tokens: readonly Token[], i: number): boolean {
  if (!isPunct(tokens[i], ',') || identifier(tokens[i + 1]) === undefined) return false;
  const next = tokens[i + 2];
  return isPunct(next, '.') || isPunct(next, ',') || TABLE_FOLLOWER.has(keyword(next) ?? '');
}
