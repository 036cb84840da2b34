/**
 * Which of a table's triggers can be moved to the new table (see README.md):
 *  - checkTriggerNames: a body that names a table the migration creates or renames (the shadow,
 *    the swap names, the old table) would, once moved, read or write another table than before;
 *  - probeTriggers: each trigger is created, under a short temporary name, on an empty table
 *    built with the ALTER applied (a real table: the server allows no trigger on a temporary
 *    one), then the table is dropped. The server refuses what the move would fail on: a
 *    NEW/OLD column the ALTER drops or renames (1054), a DEFINER the user may not set (1227).
 * Both refuse with TriggersError naming the trigger and the reason.
 */
import { randomBytes } from 'node:crypto';
import type { PoolConnection } from 'mysql2/promise';
import { qualifiedName } from '../format.ts';
import { tokenize } from '../replay/sql-tokens.ts';
import type { ParsedAlter } from '../statement/types.ts';
import { swapTableNames } from '../cutover/names.ts';
import { oldTableName, shadowTableName } from '../table/names.ts';
import { TriggersError } from '../preflight/errors.ts';
import { createTrigger, type TriggerDef } from './read.ts';

/** Names a moved trigger must not reference: they change meaning during or after the swap. */
export function namesTheSwapChanges(table: string): string[] {
  const swap = swapTableNames(table);
  return [shadowTableName(table), oldTableName(table), swap.shadow, swap.old];
}

export function checkTriggerNames(schema: string, table: string, defs: readonly TriggerDef[]): void {
  const taken = new Set(namesTheSwapChanges(table).map((n) => n.toLowerCase()));
  const oldPrefix = `${oldTableName(table).toLowerCase()}_`; // --keep-old-table's _t_old_<timestamp>
  for (const def of defs) {
    for (const tok of tokenize(def.body)) {
      if (tok.kind !== 'word' && tok.kind !== 'quoted') continue;
      const name = tok.text.toLowerCase();
      if (taken.has(name) || name.startsWith(oldPrefix)) {
        throw new TriggersError(schema, table, def.name,
          `its body references \`${tok.text}\`, a name the migration creates or renames`);
      }
    }
  }
}

export async function probeTriggers(conn: PoolConnection, schema: string, table: string, parsed: ParsedAlter, defs: readonly TriggerDef[]): Promise<void> {
  if (defs.length === 0) return;
  const probe = `_sluice_trg_probe_${randomBytes(6).toString('hex')}`;
  const ref = qualifiedName(schema, probe);
  await conn.query(`CREATE TABLE ${ref} LIKE ${qualifiedName(schema, table)}`);
  try {
    try {
      if (parsed.spec.trim() !== '') await conn.query(`ALTER TABLE ${ref} ${parsed.spec}`);
    } catch {
      return; // the shadow judges the statement; the cutover's move re-checks every trigger
    }
    for (const def of defs) {
      const temp = `_sluice_trg_${randomBytes(6).toString('hex')}`; // 24 chars: any trigger name fits the limit
      try {
        await createTrigger(conn, def, schema, probe, temp);
      } catch (err) {
        const e = err as { sqlMessage?: string; errno?: number };
        if (typeof e?.errno !== 'number') throw err;
        throw new TriggersError(schema, table, def.name, `the server refuses it on the new table: ${e.sqlMessage ?? String(err)}`, { cause: err });
      }
    }
  } finally {
    await conn.query(`DROP TABLE IF EXISTS ${ref}`);
  }
}
