/**
 * Which sessions hold a table's metadata lock. Three ways, the first the server offers:
 *  - `mdl-info`: MariaDB's information_schema.METADATA_LOCK_INFO (the metadata_lock_info plugin);
 *  - `performance-schema`: MySQL 8's performance_schema.metadata_locks (instrument wait/lock/metadata/sql/mdl);
 *  - `transactions`: neither is there: every open InnoDB transaction is a suspect (inexact; see README.md).
 * Each row joins the processlist (who, what) and INNODB_TRX (how long, how many rows changed).
 */
import { queryRows, type Queryable } from '../connection/connection.ts';
import { safeStatement } from './describe.ts';
import type { Blocker } from './types.ts';

export type BlockerMethod = 'mdl-info' | 'performance-schema' | 'transactions';

/** Server threads that are never application sessions (and never killed). */
const SYSTEM_COMMANDS = ['Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker', 'Connect'];

const DETAILS = `p.ID AS id, p.USER AS user, p.HOST AS host, p.COMMAND AS command, p.TIME AS time, p.INFO AS info,
  TIMESTAMPDIFF(SECOND, x.trx_started, NOW()) AS trxSeconds, x.trx_rows_modified AS rowsModified`;
const NOT_SYSTEM = `p.COMMAND NOT IN (${SYSTEM_COMMANDS.map(() => '?').join(', ')}) AND p.USER NOT IN ('system user', 'event_scheduler') AND p.ID <> CONNECTION_ID()`;

interface Row {
  id: unknown; user: unknown; host: unknown; command: unknown; time: unknown; info: unknown;
  trxSeconds: unknown; rowsModified: unknown; lockMs?: unknown;
}

const num = (v: unknown): number | undefined => (v === null || v === undefined || v === '' ? undefined : Number(v));

function toBlocker(r: Row, exact: boolean): Blocker {
  const lockMs = num(r.lockMs);
  const trxMs = num(r.trxSeconds) === undefined ? undefined : num(r.trxSeconds)! * 1000;
  const timeMs = (num(r.time) ?? 0) * 1000;
  return {
    id: Number(r.id),
    user: String(r.user ?? ''),
    host: String(r.host ?? ''),
    command: String(r.command ?? ''),
    statement: safeStatement(r.info),
    ageMs: lockMs ?? trxMs ?? timeMs,
    rowsModified: num(r.rowsModified) ?? 0,
    exact,
  };
}

export class BlockerFinder {
  private constructor(readonly method: BlockerMethod, private readonly lockTimeColumn: boolean, readonly hint?: string) {}

  /** Picks the best way this server offers (a few cheap reads; nothing is changed or installed). */
  static async detect(db: Queryable): Promise<BlockerFinder> {
    try {
      const [, fields] = await db.query('SELECT * FROM information_schema.METADATA_LOCK_INFO LIMIT 0');
      const names = (fields as unknown as Array<{ name: string }> | undefined ?? []).map((f) => f.name.toUpperCase());
      return new BlockerFinder('mdl-info', names.includes('LOCK_TIME_MS'));
    } catch {
      // not installed (MariaDB without the plugin) or not MariaDB
    }
    try {
      const rows = await queryRows<{ on: unknown; enabled: unknown }>(
        db,
        "SELECT @@performance_schema AS `on`, (SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = 'wait/lock/metadata/sql/mdl') AS enabled",
      );
      if (Number(rows[0]?.on) === 1 && String(rows[0]?.enabled).toUpperCase() === 'YES') return new BlockerFinder('performance-schema', false);
    } catch {
      // no performance_schema
    }
    let hint = 'no metadata lock view on this server (MariaDB: INSTALL SONAME \'metadata_lock_info\'; MySQL: performance_schema with the wait/lock/metadata/sql/mdl instrument)';
    try {
      const rows = await queryRows<{ status: unknown }>(db, "SELECT PLUGIN_STATUS AS status FROM information_schema.ALL_PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO'");
      if (rows.length > 0) hint = `the metadata_lock_info plugin is available but ${String(rows[0]!.status).toLowerCase()}: INSTALL SONAME 'metadata_lock_info' lets Sluice see exactly which sessions hold a table`;
    } catch {
      // MySQL has no ALL_PLUGINS
    }
    return new BlockerFinder('transactions', false, hint);
  }

  /** Whether holders() names exactly the sessions holding the tables' metadata locks. */
  get exact(): boolean {
    return this.method !== 'transactions';
  }

  /**
   * Sessions other than `db`'s own holding a metadata lock on any of `tables` (exact methods), or
   * every session with an open InnoDB transaction (`transactions`). Granted locks only.
   */
  async holders(db: Queryable, schema: string, tables: readonly string[]): Promise<Blocker[]> {
    let rows: Row[];
    if (this.method === 'mdl-info') {
      rows = await queryRows<Row>(
        db,
        `SELECT ${DETAILS}, m.lockMs FROM (SELECT THREAD_ID AS tid, ${this.lockTimeColumn ? 'MAX(LOCK_TIME_MS)' : 'NULL'} AS lockMs
           FROM information_schema.METADATA_LOCK_INFO WHERE LOCK_TYPE = 'Table metadata lock' AND TABLE_SCHEMA = ? AND TABLE_NAME IN (?)
           GROUP BY THREAD_ID) m
         JOIN information_schema.PROCESSLIST p ON p.ID = m.tid
         LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = p.ID
         WHERE ${NOT_SYSTEM}`,
        [schema, tables, ...SYSTEM_COMMANDS],
      );
    } else if (this.method === 'performance-schema') {
      rows = await queryRows<Row>(
        db,
        `SELECT ${DETAILS} FROM (SELECT DISTINCT t.PROCESSLIST_ID AS tid FROM performance_schema.metadata_locks m
           JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID
           WHERE m.OBJECT_TYPE = 'TABLE' AND m.LOCK_STATUS = 'GRANTED' AND m.OBJECT_SCHEMA = ? AND m.OBJECT_NAME IN (?)) m
         JOIN information_schema.PROCESSLIST p ON p.ID = m.tid
         LEFT JOIN information_schema.INNODB_TRX x ON x.trx_mysql_thread_id = p.ID
         WHERE ${NOT_SYSTEM}`,
        [schema, tables, ...SYSTEM_COMMANDS],
      );
    } else {
      rows = await queryRows<Row>(
        db,
        `SELECT ${DETAILS} FROM information_schema.INNODB_TRX x JOIN information_schema.PROCESSLIST p ON p.ID = x.trx_mysql_thread_id WHERE ${NOT_SYSTEM}`,
        [...SYSTEM_COMMANDS],
      );
    }
    return rows.map((r) => toBlocker(r, this.exact));
  }
}
