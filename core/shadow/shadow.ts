/**
 * The shadow table `_<t>_new`: created as `CREATE TABLE ... LIKE` the source and altered with the
 * user's statement, both under the user's own sql_mode and time_zone (so the server judges the
 * statement as it would natively); AUTO_INCREMENT carried across unless the statement sets it;
 * then inspected and mapped column by column.
 * A failed creation leaves nothing behind; a table that existed before is never dropped.
 */
import mysql from 'mysql2/promise';
import type { Queryable } from '../connection/connection.ts';
import { readUserSession, withUserSession, type SessionPool, type UserSession } from '../connection/user-session.ts';
import { statementAutoIncrement } from '../statement/table-options.ts';
import { checkStoredGeneratedInputs } from '../preflight/generated.ts';
import type { ParsedAlter } from '../statement/types.ts';
import { TableNotFoundError } from '../table/errors.ts';
import { inspectTable, readAutoIncrement } from '../table/inspect.ts';
import { shadowTableName } from '../table/names.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import { AlterRejectedError, ShadowTableExistsError, UnsafeShadowAlterError } from './errors.ts';
import { checkShadowKey, mapColumns } from './mapping.ts';
import { qualifiedName } from '../format.ts';

export interface ShadowTable {
  /** The shadow table's name (same schema as the source). */
  name: string;
  info: TableInfo;
  /** INSERT INTO shadow (mapping.target) SELECT mapping.source FROM t. */
  mapping: ColumnMapping;
  /** Source columns with no shadow column. */
  dropped: string[];
  /** Shadow columns with no source column (they take their defaults). */
  added: string[];
}

const ER_TABLE_EXISTS_ERROR = 1050;


interface ServerError { sqlMessage: string; errno?: number; code?: string; fatal?: boolean }

/** An error the server answered with (not a lost connection, not a driver error). */
function isServerError(err: unknown): err is ServerError {
  const e = err as Partial<ServerError> | null;
  return typeof e === 'object' && e !== null && typeof e.sqlMessage === 'string' && e.fatal !== true;
}

/**
 * `session`: the user's sql_mode and time_zone (read from the server's globals when not given).
 */
export async function createShadowTable(db: SessionPool, source: TableInfo, parsed: ParsedAlter, session?: UserSession): Promise<ShadowTable> {
  const renameTable = parsed.clauses.find((c) => c.kind === 'rename-table');
  if (renameTable) throw new UnsafeShadowAlterError(renameTable.text);
  const user = session ?? (await readUserSession(db));

  const name = shadowTableName(source.name);
  const shadow = qualifiedName(source.schema, name);
  let created = false;
  try {
    await withUserSession(db, user, async (conn) => {
      try {
        await conn.query(`CREATE TABLE ${shadow} LIKE ${qualifiedName(source.schema, source.name)}`);
      } catch (err) {
        // Not ours: never drop it.
        if (isServerError(err) && err.errno === ER_TABLE_EXISTS_ERROR) throw new ShadowTableExistsError(source.schema, name);
        throw rejected(name, err);
      }
      created = true;
      await applyAlter(conn, shadow, name, parsed.spec);
    });
    let info = await inspectTable(db, source.schema, name);
    await checkShadowTable(db, source, parsed, info);
    // The statement's own AUTO_INCREMENT=N wins (the server gives max(N, MAX(id)+1), which the copy reproduces).
    if (statementAutoIncrement(parsed) === undefined) {
      const carried = await carryAutoIncrement(db, source, info);
      if (carried !== null) info = { ...info, autoIncrement: carried };
    }
    return { name, info, ...mapColumns(source, info, parsed.renamedColumns, { clauses: parsed.clauses, session: user }) };
  } catch (err) {
    // We created it: leave nothing behind. A failed drop leaves a table the next run reports as existing.
    if (created) await db.query(`DROP TABLE IF EXISTS ${shadow}`).catch(() => undefined);
    throw err;
  }
}

/** What a shadow table (or the dry run's copy) must pass: the chosen key, stored generated inputs. */
export async function checkShadowTable(db: Queryable, source: TableInfo, parsed: ParsedAlter, info: TableInfo): Promise<void> {
  // The key again, on the real shadow: for tables the probe could not copy (e.g. FULLTEXT indexes
  // cannot be temporary), this is where a key change or an unsafe key column type is found.
  checkShadowKey(source, info, parsed.renamedColumns);
  await checkStoredGeneratedInputs(db, source, parsed, info.columns);
}

/** A server refusal as AlterRejectedError (server message, one line); anything else unchanged. */
function rejected(name: string, err: unknown): unknown {
  return isServerError(err) ? new AlterRejectedError(name, err.sqlMessage, err.errno, err.code, { cause: err }) : err;
}

/** The user's ALTER, applied to the shadow (`name`: how a refusal names it). The spec is the statement's own SQL text, by design. */
export async function applyAlter(db: Queryable, shadow: string, name: string, spec: string): Promise<void> {
  if (spec.trim() === '') return;
  try {
    await db.query(`ALTER TABLE ${shadow} ${spec}`);
  } catch (err) {
    throw rejected(name, err);
  }
}

/**
 * Raise the shadow's counter to the source's (read live: it may have moved since inspection), so
 * ids freed at the top of the source are not handed out again after cutover. Never lowers a counter
 * the ALTER itself set higher. Returns the new counter, or null when nothing was changed.
 */
async function carryAutoIncrement(db: Queryable, source: TableInfo, shadow: TableInfo): Promise<number | null> {
  if (source.autoIncrement === null || shadow.autoIncrement === null) return null;
  const live = (await readAutoIncrement(db, source.schema, source.name)) ?? 1n;
  const wanted = live > BigInt(source.autoIncrement) ? live : BigInt(source.autoIncrement);
  const current = (await readAutoIncrement(db, shadow.schema, shadow.name)) ?? 1n;
  if (wanted <= current) return null;
  await db.query(mysql.format(`ALTER TABLE ${qualifiedName(shadow.schema, shadow.name)} AUTO_INCREMENT = ?`, [wanted]));
  return Number(wanted);
}

/** The existing shadow table (to resume), mapped the same way; null when there is none. */
export async function loadShadowTable(db: SessionPool, source: TableInfo, parsed: ParsedAlter, session?: UserSession): Promise<ShadowTable | null> {
  const name = shadowTableName(source.name);
  let info: TableInfo;
  try {
    info = await inspectTable(db, source.schema, name);
  } catch (err) {
    if (err instanceof TableNotFoundError) return null;
    throw err;
  }
  checkShadowKey(source, info, parsed.renamedColumns);
  const user = session ?? (await readUserSession(db));
  return { name, info, ...mapColumns(source, info, parsed.renamedColumns, { clauses: parsed.clauses, session: user }) };
}

export async function dropShadowTable(db: Queryable, source: TableInfo): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS ${qualifiedName(source.schema, shadowTableName(source.name))}`);
}
