// @ts-check
/**
 * An audit log: one row per migration, written when it ends (done, failed or cancelled), into a
 * table of your choosing on the same server, through the migration's own connection pool
 * (`Tokens.Pool`): who ran it, the statement, when it started and ended (UTC), the outcome, the rows
 * copied, how long writes were blocked at cutover, and the error of a failed run.
 *
 *   // migrate.config.ts
 *   import { defineConfig } from 'sluice';
 *   import { auditLog } from './audit-log.mjs';
 *   export default defineConfig({ plugins: [auditLog({ table: 'ops.schema_migrations' })] });
 *
 * The table is created if missing (`create: false` to require it). A run that dies before it
 * could connect, or is killed with SIGKILL, writes no row (there is no pool to write it with, or no
 * process). Writing the row never changes the migration's outcome: a failed write is a warning.
 * By module path the factory reads SLUICE_AUDIT_TABLE and SLUICE_AUDIT_WHO.
 */
import { hostname, userInfo } from 'node:os';
import { definePlugin, InvalidOptionError, isCancellation, qualifiedName, redactText, token, Tokens } from 'sluice';

/**
 * @typedef {object} AuditLogOptions
 * @property {string} table  `schema.table`, or a bare name in the migrated table's schema.
 * @property {string} [who]  Who runs it (default: SLUICE_AUDIT_WHO, else `<os user>@<host>`).
 * @property {boolean} [create]  Create the table when it is missing (default true).
 */

/** @typedef {{ startedAt: number, rowsCopied: number }} RunState */

export const AUDIT_COLUMNS = `(
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  who VARCHAR(255) NOT NULL,
  db_user VARCHAR(255) NOT NULL,
  schema_name VARCHAR(64) NOT NULL,
  table_name VARCHAR(64) NOT NULL,
  statement TEXT NOT NULL,
  started_at DATETIME(3) NOT NULL,
  finished_at DATETIME(3) NOT NULL,
  outcome ENUM('done', 'failed', 'cancelled') NOT NULL,
  rows_copied BIGINT UNSIGNED NOT NULL,
  lock_ms INT UNSIGNED NULL,
  error TEXT NULL
)`;

/** @param {Partial<AuditLogOptions>} [options] */
export function auditLog(options = {}) {
  const name = options.table ?? process.env.SLUICE_AUDIT_TABLE;
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) {
    throw new InvalidOptionError('audit-log needs table: pass auditLog({ table: "ops.schema_migrations" }) or set SLUICE_AUDIT_TABLE');
  }
  const who = options.who ?? process.env.SLUICE_AUDIT_WHO ?? `${userInfo().username}@${hostname()}`;
  const create = options.create ?? true;
  /** @type {import('sluice').Token<RunState>} */
  const State = token('audit-log:state');

  /**
   * @param {import('sluice').PluginContext} ctx
   * @param {{ outcome: 'done' | 'failed' | 'cancelled', rows?: number, lockMs?: number | null, error?: string }} row
   */
  const write = async (ctx, row) => {
    const pool = ctx.tryResolve(Tokens.Pool);
    if (!pool) {
      ctx.log.warn('audit-log: the run ended before it connected; no audit row written');
      return;
    }
    const s = ctx.tryResolve(State) ?? { startedAt: Date.now(), rowsCopied: 0 };
    const options = ctx.resolve(Tokens.Options);
    const target = ctx.tryResolve(Tokens.Target);
    const schema = target?.schema ?? options.connection.database ?? '';
    const table = parts.length === 2 ? qualifiedName(parts[0], parts[1]) : qualifiedName(schema, parts[0]);
    const secrets = options.connection.password ? [options.connection.password] : [];
    try {
      if (create) await pool.query({ sql: `CREATE TABLE IF NOT EXISTS ${table} ${AUDIT_COLUMNS}`, timeout: 10_000 });
      await pool.query({
        sql: `INSERT INTO ${table} (who, db_user, schema_name, table_name, statement, started_at, finished_at, outcome, rows_copied, lock_ms, error)
              VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND, UTC_TIMESTAMP(3), ?, ?, ?, ?)`,
        timeout: 10_000,
      }, [
        who, options.connection.user, schema, target?.table ?? '', options.statement, (Date.now() - s.startedAt) * 1000,
        row.outcome, row.rows ?? s.rowsCopied, row.lockMs ?? null, row.error === undefined ? null : redactText(row.error, secrets),
      ]);
    } catch (err) {
      ctx.log.warn(`audit-log: could not write the audit row to ${table} (${err instanceof Error ? err.message : err})`);
    }
  };

  return definePlugin({
    name: 'audit-log',
    setup(ctx) {
      ctx.provide(State, { startedAt: Date.now(), rowsCopied: 0 });
    },
    progress(ctx, snapshot) {
      ctx.resolve(State).rowsCopied = snapshot.rowsCopied;
    },
    onSuccess: (ctx, result) => write(ctx, { outcome: 'done', rows: result.rowsCopied, lockMs: result.cutover?.lockMs ?? null }),
    onError: (ctx, error) => write(ctx, { outcome: 'failed', error: error instanceof Error ? error.message : String(error) }),
    onCancel: (ctx, reason) => write(ctx, { outcome: 'cancelled', error: isCancellation(reason) ? reason.message : String(reason) }),
  });
}

export default auditLog;
