/**
 * probeAlter: the user's ALTER tried on an empty TEMPORARY copy of the source, under the user's
 * sql_mode and time_zone, before anything is created. With binlog_format=ROW (which Sluice
 * requires) temporary tables are not written to the binary log, so a refusal here changes nothing
 * on the server, not even the binlog position. It tells:
 *  - the server refuses the statement (an error about the statement itself, e.g. 1067 Invalid
 *    default value): AlterRejectedError with the server's message;
 *  - the new types of the primary-key columns, for checkKeyColumnChanges (core/preflight).
 * A partitioned table cannot be temporary: it is probed from its SHOW CREATE TABLE without the
 * partitioning (refusals that depend on the partitioning, e.g. 1503, are left to the shadow).
 * When the probe cannot run (no CREATE TEMPORARY TABLES privilege, or any error that may come from
 * the table being temporary), it returns null and the real shadow table judges the statement later
 * (createShadowTable runs the same checks).
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { withUserSession, type SessionPool, type UserSession } from '../connection/user-session.ts';
import { qualifiedName } from '../format.ts';
import type { KeyColumnType } from '../preflight/key-change.ts';
import type { ParsedAlter } from '../statement/types.ts';
import type { IndexInfo, TableInfo } from '../table/types.ts';
import { plainIndexes, showCreateTable, type DeferredIndex } from './deferred-indexes.ts';
import { AlterRejectedError } from './errors.ts';

/**
 * Server errors about the statement itself (the same on a temporary table as on the real one):
 * the probe's refusal of these is final.
 */
export const STATEMENT_ERRORS: ReadonlySet<number> = new Set([
  1054, 1060, 1061, 1063, 1064, 1067, 1068, 1069, 1070, 1071, 1072, 1074, 1075, 1089, 1090, 1091, 1101, 1113, 1115,
  1166, 1167, 1170, 1171, 1176, 1221, 1253, 1273, 1292, 1366, 1406, 1425, 1426, 1427, 1439, 1901, 1904, 1906,
  3105, 4025, 4029,
]);

interface ServerError { sqlMessage: string; errno: number; code?: string }
const asServerError = (err: unknown): ServerError | undefined => {
  const e = err as Partial<ServerError> | null;
  return e && typeof e.errno === 'number' && typeof e.sqlMessage === 'string' ? (e as ServerError) : undefined;
};

/** The probe's result: the columns and indexes after the ALTER, as SHOW FULL COLUMNS / SHOW INDEX give them. */
export interface ProbeResult {
  readonly columns: readonly (KeyColumnType & { readonly nullable: boolean; readonly dataType: string })[];
  readonly indexes: readonly IndexInfo[];
  /** The statement's result's plain `KEY …` indexes (what a shadow with deferred indexes must get built). */
  readonly secondaryIndexes: readonly DeferredIndex[];
}

export async function probeAlter(pool: SessionPool, source: TableInfo, parsed: ParsedAlter, session: UserSession): Promise<ProbeResult | null> {
  const probe = `_sluice_probe_${randomBytes(6).toString('hex')}`;
  const ref = qualifiedName(source.schema, probe);
  return withUserSession(pool, session, async (conn) => {
    try {
      await conn.query(`CREATE TEMPORARY TABLE ${ref} LIKE ${qualifiedName(source.schema, source.name)}`);
    } catch (err) {
      if (asServerError(err)?.errno !== ER_ILLEGAL_HA_CREATE_OPTION) return refuseOrSkip(source.name, err);
      // A partitioned table cannot be temporary: probe its definition without the partitioning.
      const ddl = await unpartitionedDefinition(conn, source, ref);
      if (ddl === null) return null;
      try {
        await conn.query(ddl);
      } catch (again) {
        return refuseOrSkip(source.name, again);
      }
    }
    try {
      try {
        if (parsed.spec.trim() !== '') await conn.query(`ALTER TABLE ${ref} ${parsed.spec}`);
      } catch (err) {
        return refuseOrSkip(source.name, err);
      }
      const create = await showCreateTable(conn, source.schema, probe);
      return { columns: await probeColumns(conn, source.schema, probe), indexes: await probeIndexes(conn, source.schema, probe), secondaryIndexes: plainIndexes(create) };
    } finally {
      await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${ref}`);
    }
  });
}

const ER_ILLEGAL_HA_CREATE_OPTION = 1478;

/**
 * `CREATE TEMPORARY TABLE <ref> …` from SHOW CREATE TABLE with the trailing partitioning taken off
 * (MariaDB prints ` PARTITION BY …`, MySQL `/*!50100 PARTITION BY … *\/`); null when the text is not
 * in the expected form. Partition-specific refusals (e.g. 1503) are then left to the shadow.
 */
async function unpartitionedDefinition(conn: Queryable, source: TableInfo, ref: string): Promise<string | null> {
  const [row] = await queryRows(conn, `SHOW CREATE TABLE ${qualifiedName(source.schema, source.name)}`);
  const ddl = String(row?.['Create Table'] ?? '');
  const head = /^CREATE TABLE `(?:[^`]|``)+` \(/.exec(ddl);
  const tail = /\n\s*(?:\/\*!\d+\s*)?PARTITION BY[\s\S]*$/.exec(ddl);
  if (!head || !tail) return null;
  return `CREATE TEMPORARY TABLE ${ref} (${ddl.slice(head[0].length, tail.index)}`;
}

/** A statement error is final (AlterRejectedError); anything else may be the probe's own: skip it. */
function refuseOrSkip(table: string, err: unknown): null {
  const server = asServerError(err);
  if (server && STATEMENT_ERRORS.has(server.errno)) {
    throw new AlterRejectedError(table, server.sqlMessage, server.errno, server.code, { cause: err });
  }
  if (server) return null;
  throw err;
}

async function probeColumns(conn: Queryable, schema: string, table: string): Promise<ProbeResult['columns'][number][]> {
  const rows = await queryRows<{ Field: string; Type: string; Collation: string | null; Null: string }>(
    conn, `SHOW FULL COLUMNS FROM ${mysql.escapeId(table, true)} FROM ${mysql.escapeId(schema, true)}`);
  return rows.map((r) => ({
    name: String(r.Field), columnType: String(r.Type), collation: r.Collation === null ? null : String(r.Collation),
    nullable: String(r.Null).toUpperCase() === 'YES', dataType: /^\w+/.exec(String(r.Type))?.[0]?.toLowerCase() ?? String(r.Type),
  }));
}

/** The probe's indexes (a TEMPORARY table is not in INFORMATION_SCHEMA): PRIMARY first, then by name, columns in key order. */
async function probeIndexes(conn: Queryable, schema: string, table: string): Promise<IndexInfo[]> {
  const rows = await queryRows<{ Key_name: string; Non_unique: unknown; Column_name: string | null; Seq_in_index: unknown }>(
    conn, `SHOW INDEX FROM ${mysql.escapeId(table, true)} FROM ${mysql.escapeId(schema, true)}`);
  const byName = new Map<string, { unique: boolean; columns: Array<{ seq: number; name: string }> }>();
  for (const r of rows) {
    const entry = byName.get(r.Key_name) ?? { unique: Number(r.Non_unique) === 0, columns: [] };
    entry.columns.push({ seq: Number(r.Seq_in_index), name: r.Column_name === null ? '(expression)' : String(r.Column_name) });
    byName.set(r.Key_name, entry);
  }
  return [...byName].map(([name, e]) => ({ name, unique: e.unique, columns: e.columns.sort((a, b) => a.seq - b.seq).map((c) => c.name) }))
    .sort((a, b) => (a.name === 'PRIMARY' ? -1 : b.name === 'PRIMARY' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
