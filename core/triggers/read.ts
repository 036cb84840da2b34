/**
 * A table's triggers as the server stores them (information_schema.TRIGGERS), and the statements
 * that re-create one on another table: the same name, timing, event, body, definer, sql_mode and
 * collation_connection. Created one by one in ACTION_ORDER per (timing, event), which gives the
 * same order without FOLLOWS/PRECEDES. The body is sent as utf8mb4 (the driver's character set),
 * so the copy's CHARACTER_SET_CLIENT is utf8mb4; its characters are the original's.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { qualifiedName } from '../format.ts';

export interface TriggerDef {
  readonly name: string;
  /** BEFORE | AFTER */
  readonly timing: string;
  /** INSERT | UPDATE | DELETE */
  readonly event: string;
  readonly order: number;
  /** The body, from BEGIN … END or the single statement. */
  readonly body: string;
  /** `user@host` as stored (a role has no `@`). */
  readonly definer: string;
  readonly sqlMode: string;
  readonly collationConnection: string;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export async function readTriggerDefs(db: Queryable, schema: string, table: string): Promise<TriggerDef[]> {
  const rows = await queryRows(db,
    'SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event, ACTION_ORDER AS ord, ' +
    'ACTION_STATEMENT AS body, DEFINER AS definer, SQL_MODE AS sqlMode, COLLATION_CONNECTION AS coll, ' +
    'EVENT_OBJECT_SCHEMA AS s, EVENT_OBJECT_TABLE AS t ' +
    'FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? ' +
    'ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER',
    [schema, table]);
  return rows
    .filter((r) => str(r.s) === schema && str(r.t) === table)
    .map((r) => ({
      name: str(r.name), timing: str(r.timing), event: str(r.event), order: Number(r.ord),
      body: str(r.body), definer: str(r.definer), sqlMode: str(r.sqlMode), collationConnection: str(r.coll),
    }));
}

/** `'user'@'host'` (or a role's quoted name) for a DEFINER clause. */
export function definerClause(definer: string): string {
  const at = definer.lastIndexOf('@');
  if (at < 0) return mysql.escape(definer);
  return `${mysql.escape(definer.slice(0, at))}@${mysql.escape(definer.slice(at + 1))}`;
}

/** CREATE TRIGGER for `def` on `schema.table`, named `name` (default: its own name). */
export function createTriggerSql(def: TriggerDef, schema: string, table: string, name = def.name): string {
  return `CREATE DEFINER=${definerClause(def.definer)} TRIGGER ${qualifiedName(schema, name)} ` +
    `${def.timing} ${def.event} ON ${qualifiedName(schema, table)} FOR EACH ROW ${def.body}`;
}

/** Creates `def` on `schema.table` under its own sql_mode and collation_connection; the session's own are restored. */
export async function createTrigger(db: Queryable, def: TriggerDef, schema: string, table: string, name = def.name): Promise<void> {
  const [was] = await queryRows<{ m: string; c: string }>(db, 'SELECT @@SESSION.sql_mode AS m, @@SESSION.collation_connection AS c');
  await db.query('SET SESSION sql_mode = ?, collation_connection = ?', [def.sqlMode, def.collationConnection]);
  try {
    await db.query(createTriggerSql(def, schema, table, name));
  } finally {
    await db.query('SET SESSION sql_mode = ?, collation_connection = ?', [was?.m ?? '', was?.c ?? 'utf8mb4_general_ci']);
  }
}

export async function dropTrigger(db: Queryable, schema: string, name: string, ifExists = false): Promise<void> {
  await db.query(`DROP TRIGGER ${ifExists ? 'IF EXISTS ' : ''}${qualifiedName(schema, name)}`);
}
