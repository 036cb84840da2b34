/**
 * Deferred secondary indexes (core/shadow/README.md, "Deferred indexes"): the shadow is copied
 * with its PRIMARY KEY, its UNIQUE indexes and its FULLTEXT/SPATIAL indexes only; its plain
 * secondary indexes (`KEY …`) are dropped while it is empty and built again after the copy in one
 * `ALTER TABLE … ADD KEY …, ADD KEY …, ALGORITHM=INPLACE, LOCK=NONE` (one sorted build per index,
 * replay keeps writing meanwhile). Which indexes a shadow still lacks is read from the shadow
 * itself against the statement's own result (the probe's definition), so a resumed run knows
 * whether the build has run without anything stored.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { qualifiedName } from '../format.ts';
import { IndexBuildError } from './errors.ts';

/** One plain secondary index as SHOW CREATE TABLE prints it (`KEY \`name\` (…) …`). */
export interface DeferredIndex {
  readonly name: string;
  /** The definition line without its trailing comma, e.g. "KEY `k` (`a`,`b`) COMMENT 'x'". */
  readonly definition: string;
}

/**
 * The plain secondary indexes of a SHOW CREATE TABLE text, in order. UNIQUE indexes stay on the
 * shadow (the copy's duplicate check, replay's skip rule and REPLACE rely on them), as do FULLTEXT
 * and SPATIAL ones (they cannot be added with LOCK=NONE) and indexes over VIRTUAL columns.
 */
export function plainIndexes(createTable: string): DeferredIndex[] {
  const out: DeferredIndex[] = [];
  const lines = createTable.split('\n');
  // Indexes over VIRTUAL columns stay too: MariaDB 10.11's online build of such an index, with
  // replay writing meanwhile, failed the writes with 1034 "Index … is corrupt" (fidelity-special).
  const virtual = new Set(lines.flatMap((l) => {
    const c = /^\s*`((?:[^`]|``)+)` .* VIRTUAL\b/.exec(l);
    return c ? [c[1]!.replace(/``/g, '`').toLowerCase()] : [];
  }));
  for (const line of lines) {
    const m = /^\s*(KEY `((?:[^`]|``)+)` (.*?)),?$/.exec(line);
    if (!m) continue;
    const columns = [...m[3]!.matchAll(/`((?:[^`]|``)+)`/g)].map((c) => c[1]!.replace(/``/g, '`').toLowerCase());
    if (columns.some((c) => virtual.has(c))) continue;
    out.push({ name: m[2]!.replace(/``/g, '`'), definition: m[1]! });
  }
  return out;
}

export async function showCreateTable(db: Queryable, schema: string, table: string): Promise<string> {
  const [row] = await queryRows(db, `SHOW CREATE TABLE ${qualifiedName(schema, table)}`);
  return String(row?.['Create Table'] ?? '');
}

/** Drops the plain secondary indexes of the (empty) shadow; returns what was dropped, to build later. */
export async function deferIndexes(db: Queryable, schema: string, shadow: string): Promise<DeferredIndex[]> {
  const indexes = plainIndexes(await showCreateTable(db, schema, shadow));
  if (indexes.length === 0) return [];
  await db.query(`ALTER TABLE ${qualifiedName(schema, shadow)} ${indexes.map((i) => `DROP INDEX ${mysql.escapeId(i.name, true)}`).join(', ')}`);
  return indexes;
}

/** The indexes of `reference` (the statement's result) that the shadow does not have (yet). */
export async function missingIndexes(db: Queryable, schema: string, shadow: string, reference: readonly DeferredIndex[]): Promise<DeferredIndex[]> {
  if (reference.length === 0) return [];
  const rows = await queryRows(db, 'SELECT DISTINCT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, shadow]);
  const present = new Set(rows.map((r) => String(r.n).toLowerCase()));
  return reference.filter((i) => !present.has(i.name.toLowerCase()));
}

/**
 * Builds the deferred indexes in one online ALTER of the shadow (replay keeps applying). A server
 * refusal (e.g. the online log overflowing, 1534) is an IndexBuildError: nothing was cut over, the
 * original table is untouched; a rerun resumes and builds again.
 */
export async function buildIndexes(db: Queryable, schema: string, shadow: string, indexes: readonly DeferredIndex[]): Promise<void> {
  if (indexes.length === 0) return;
  const adds = indexes.map((i) => `ADD ${i.definition}`).join(', ');
  try {
    await db.query(`ALTER TABLE ${qualifiedName(schema, shadow)} ${adds}, ALGORITHM=INPLACE, LOCK=NONE`);
  } catch (err) {
    const e = err as { sqlMessage?: string; errno?: number; fatal?: boolean };
    if (typeof e?.sqlMessage === 'string' && e.fatal !== true) throw new IndexBuildError(shadow, indexes.map((i) => i.name), e.sqlMessage, e.errno, { cause: err });
    throw err;
  }
}
