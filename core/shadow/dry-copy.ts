/**
 * The dry run's copy of the table: a real, empty table created like the source under
 * `SET SESSION sql_log_bin = 0` (nothing reaches the binary log, the binlog position and the GTID
 * stay where they are, replicas never see it), on a connection of its own that is closed afterwards
 * (never returned to the pool with the binlog off). On it:
 *  - the native question: the same ALGORITHM=INSTANT / NOCOPY / INPLACE attempts as a real run
 *    (core/native). A TEMPORARY table cannot answer it: MariaDB accepts ALGORITHM=INSTANT on a
 *    temporary table for any statement;
 *  - the shadow table: the ALTER applied, SHOW CREATE TABLE, the same checks and column mapping as
 *    createShadowTable.
 * It is dropped before the connection closes. An account that may not set sql_log_bin (it needs
 * SUPER or BINLOG ADMIN) gets no native answer, never a binlogged table: the shadow's definition
 * then comes from a TEMPORARY copy (not logged under binlog_format=ROW), without the column mapping.
 */
import { randomBytes } from 'node:crypto';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { queryRows, type Queryable, type ServerFlavor } from '../connection/connection.ts';
import { userSessionStatements, type UserSession } from '../connection/user-session.ts';
import { qualifiedName } from '../format.ts';
import { tryNativeAlter, type NativeAlgorithm } from '../native/native.ts';
import type { ParsedAlter } from '../statement/types.ts';
import { inspectTable } from '../table/inspect.ts';
import { shadowTableName } from '../table/names.ts';
import type { TableInfo } from '../table/types.ts';
import { mapColumns, type ShadowColumns } from './mapping.ts';
import { applyAlter, checkShadowTable } from './shadow.ts';

export interface DryCopy {
  /** The server's in-place algorithm, null when a copy is needed, undefined when not asked (see nativeUnknown). */
  readonly native: NativeAlgorithm | null | undefined;
  /** Why there is no native answer. */
  readonly nativeUnknown?: string;
  /** The shadow table's CREATE TABLE, named `_<t>_new` (null: no copy could be made, e.g. partitioned without sql_log_bin). */
  readonly definition: string | null;
  /** Columns mapped as the copy would map them (only from the real copy). */
  readonly columns: ShadowColumns | null;
}

const ER_SPECIFIC_ACCESS_DENIED = 1227;
const ER_ACCESS_DENIED = 1044;

export async function dryCopy(pool: Pick<Pool, 'getConnection'>, source: TableInfo, parsed: ParsedAlter, session: UserSession,
  flavor: ServerFlavor, tryNative: boolean, signal?: AbortSignal): Promise<DryCopy> {
  const conn: PoolConnection = await pool.getConnection();
  try {
    for (const s of userSessionStatements(session)) await conn.query(s.sql, s.values);
    try {
      await conn.query('SET SESSION sql_log_bin = 0');
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno !== ER_SPECIFIC_ACCESS_DENIED && errno !== ER_ACCESS_DENIED) throw err;
      const why = 'this account may not SET sql_log_bin (it needs SUPER or BINLOG ADMIN), and an empty copy would otherwise be binlogged';
      return { native: undefined, nativeUnknown: why, definition: await temporaryDefinition(conn, source, parsed), columns: null };
    }
    const name = `_sluice_dry_${randomBytes(6).toString('hex')}`;
    const ref = qualifiedName(source.schema, name);
    await conn.query(`CREATE TABLE ${ref} LIKE ${qualifiedName(source.schema, source.name)}`);
    try {
      const native = tryNative ? await tryNativeAlter(conn, source.schema, name, parsed, flavor, signal) : null;
      if (!native) await applyAlter(conn, ref, shadowTableName(source.name), parsed.spec);
      const info = await inspectTable(conn, source.schema, name);
      await checkShadowTable(conn, source, parsed, info);
      return {
        native: tryNative ? native : undefined,
        ...(tryNative ? {} : { nativeUnknown: 'not tried: --no-native' }),
        definition: await definitionOf(conn, ref, shadowTableName(source.name)),
        columns: mapColumns(source, info, parsed.renamedColumns, { clauses: parsed.clauses, session }),
      };
    } finally {
      await conn.query(`DROP TABLE IF EXISTS ${ref}`);
    }
  } finally {
    conn.destroy(); // its session had the binlog off: never back to the pool
  }
}

/** The ALTER on a TEMPORARY copy (a partitioned table cannot be one: null). */
async function temporaryDefinition(conn: Queryable, source: TableInfo, parsed: ParsedAlter): Promise<string | null> {
  const ref = qualifiedName(source.schema, `_sluice_dry_${randomBytes(6).toString('hex')}`);
  try {
    await conn.query(`CREATE TEMPORARY TABLE ${ref} LIKE ${qualifiedName(source.schema, source.name)}`);
  } catch {
    return null;
  }
  try {
    await applyAlter(conn, ref, shadowTableName(source.name), parsed.spec);
    return await definitionOf(conn, ref, shadowTableName(source.name));
  } finally {
    await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${ref}`);
  }
}

/** SHOW CREATE TABLE of `ref`, as the shadow table `name` would be created. */
async function definitionOf(conn: Queryable, ref: string, name: string): Promise<string> {
  const [row] = await queryRows(conn, `SHOW CREATE TABLE ${ref}`);
  const ddl = String(row?.['Create Table'] ?? '');
  return ddl.replace(/^CREATE (?:TEMPORARY )?TABLE `(?:[^`]|``)+`/, `CREATE TABLE \`${name.replace(/`/g, '``')}\``);
}
