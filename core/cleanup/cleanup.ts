/** Finds, and on request drops, what an abandoned migration of a table left behind (see README.md). */
import { openConnection, queryRows, type ConnectionOptions } from '../connection/connection.ts';
import { swapTableNames } from '../cutover/names.ts';
import { InvalidOptionError } from '../errors.ts';
import { qualifiedName } from '../format.ts';
import { checkpointTableName, CUTOVER_SENTINEL_TABLE, oldTableName, shadowTableName } from '../table/names.ts';
import { CUT_OVER_PHASE } from '../types.ts';
import { MigrationRunningError } from './errors.ts';
import { returnTriggersToTable } from '../triggers/repair.ts';

export type LeftoverKind = 'shadow' | 'checkpoint' | 'swap-shadow' | 'swap-original' | 'sentinel' | 'kept-original';

export interface Leftover {
  readonly name: string;
  readonly kind: LeftoverKind;
  /** Why it stays (kept-original, or a swap-original / sentinel it is not safe to drop); absent when it goes. */
  readonly keptBecause?: string;
}

export interface CleanupReport {
  readonly schema: string;
  readonly table: string;
  readonly leftovers: readonly Leftover[];
  /** What was dropped (empty in a dry run). */
  readonly dropped: readonly string[];
  readonly applied: boolean;
}

export interface CleanupRequest {
  readonly connection: ConnectionOptions;
  /** `t` or `db.t`. */
  readonly table: string;
  /** Drop what was found (default false: report only). */
  readonly apply?: boolean;
  /** The advisory lock a migration of a table holds (given by mod.ts: the mdl plugin's naming). */
  readonly lockName: (schema: string, table: string) => string;
}

export async function cleanupMigration(req: CleanupRequest): Promise<CleanupReport> {
  const { schema, table } = target(req);
  const conn = await openConnection(req.connection);
  try {
    const lock = req.lockName(schema, table);
    const [got] = await queryRows<{ ok: number | null }>(conn, 'SELECT GET_LOCK(?, 0) AS ok', [lock]);
    if (got?.ok !== 1) {
      const [holder] = await queryRows<{ id: number | null }>(conn, 'SELECT IS_USED_LOCK(?) AS id', [lock]);
      throw new MigrationRunningError(qualifiedName(schema, table), holder?.id ?? null);
    }
    try {
      const existing = new Set((await queryRows<{ t: string }>(conn,
        'SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [schema])).map((r) => r.t));
      const leftovers = await findLeftovers(conn, schema, table, existing, req.lockName);
      const dropped: string[] = [];
      if (req.apply) {
        // A run that died inside its cutover's trigger move: the triggers on a shadow go back to
        // the table first, or dropping the shadow would drop them with it (core/triggers).
        if (existing.has(table)) {
          await returnTriggersToTable(conn, schema, table, leftovers.filter((l) => l.kind === 'shadow' || l.kind === 'swap-shadow').map((l) => l.name));
        }
        for (const l of leftovers) {
          if (l.keptBecause) continue;
          await conn.query(`DROP TABLE IF EXISTS ${qualifiedName(schema, l.name)}`);
          dropped.push(l.name);
        }
      }
      return { schema, table, leftovers, dropped, applied: req.apply ?? false };
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    await conn.end();
  }
}

function target(req: CleanupRequest): { schema: string; table: string } {
  const dot = req.table.indexOf('.');
  const schema = dot > 0 ? req.table.slice(0, dot) : req.connection.database;
  const table = dot > 0 ? req.table.slice(dot + 1) : req.table;
  if (!table) throw new InvalidOptionError('no table given: pass --table T (or --table db.T)');
  if (!schema) throw new InvalidOptionError(`no schema for table ${table}: pass --database D or --table D.${table}`);
  return { schema, table };
}

async function findLeftovers(
  conn: Parameters<typeof queryRows>[0], schema: string, table: string, existing: ReadonlySet<string>,
  lockName: CleanupRequest['lockName'],
): Promise<Leftover[]> {
  const swap = swapTableNames(table);
  const out: Leftover[] = [];
  const add = (name: string, kind: LeftoverKind, keptBecause?: string) => {
    if (existing.has(name)) out.push({ name, kind, ...(keptBecause ? { keptBecause } : {}) });
  };
  add(shadowTableName(table), 'shadow');
  const swapped = existing.has(checkpointTableName(table)) ? await cutOverPhase(conn, schema, checkpointTableName(table)) : undefined;
  if (swapped) {
    // The tables were swapped: T is already the new table. Dropping the checkpoint would make a
    // rerun alter T again; the rerun instead finishes the cleanup (drops the original) and ends.
    const original = swapped.oldTable && existing.has(swapped.oldTable) ? `, the original is ${swapped.oldTable}` : '';
    add(checkpointTableName(table), 'checkpoint', `its migration already swapped the tables (${table} is the altered table${original}) and stopped before `
      + 'its cleanup: run the same migrate command again to finish it (it alters nothing again)');
    if (swapped.oldTable && swapped.oldTable !== oldTableName(table)) {
      add(swapped.oldTable, 'kept-original', 'the original table after the swap: a rerun of the same migrate command drops it (keeps it with --keep-old-table)');
    }
  } else {
    add(checkpointTableName(table), 'checkpoint');
  }
  add(swap.shadow, 'swap-shadow');
  add(swap.old, 'swap-original', existing.has(table) ? undefined
    : `${table} is missing, so this may be its only copy: rename it back by hand (RENAME TABLE \`${swap.old}\` TO \`${table}\`)`);
  add(oldTableName(table), 'kept-original', 'the original kept on purpose (--keep-old-table): drop it yourself when sure');
  if (existing.has(CUTOVER_SENTINEL_TABLE)) {
    const busy = await runningMigrations(conn, schema, [...existing].filter((t) => t !== table), lockName);
    add(CUTOVER_SENTINEL_TABLE, 'sentinel', busy.length > 0
      ? `it holds the deferred cutover of every migration in ${schema}, and ${busy.join(', ')} ${busy.length > 1 ? 'are' : 'is'} being migrated`
      : undefined);
  }
  return out;
}

/**
 * The checkpoint's phase when it is `cut-over` (the checkpoint plugin's table: columns phase and
 * old_table); undefined for any other phase, or a table that cannot be read as a checkpoint.
 */
export async function cutOverPhase(conn: Parameters<typeof queryRows>[0], schema: string, name: string): Promise<{ oldTable: string | null } | undefined> {
  try {
    const rows = await queryRows<{ phase: unknown; old_table: unknown }>(conn, `SELECT phase, old_table FROM ${qualifiedName(schema, name)}`);
    const row = rows.find((r) => r.phase === CUT_OVER_PHASE);
    return row ? { oldTable: typeof row.old_table === 'string' && row.old_table !== '' ? row.old_table : null } : undefined;
  } catch {
    return undefined; // not in the expected form: listed as an ordinary checkpoint
  }
}

/** The tables of the schema whose migration lock someone holds. */
async function runningMigrations(conn: Parameters<typeof queryRows>[0], schema: string, tables: string[], lockName: CleanupRequest['lockName']): Promise<string[]> {
  if (tables.length === 0) return [];
  const locks = tables.map((t) => lockName(schema, t));
  const [row] = await queryRows<Record<string, number | null>>(conn, `SELECT ${locks.map((_, i) => `IS_USED_LOCK(?) AS l${i}`).join(', ')}`, locks);
  return tables.filter((_, i) => row?.[`l${i}`] != null);
}
