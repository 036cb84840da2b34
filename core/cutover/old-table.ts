/**
 * The original table's name after cutover, and what happens to it afterwards. Sluice never
 * touches a table it did not create in this run: a taken `_<t>_old` is an error, unless the old
 * table is to be kept, in which case the original gets a timestamped name instead.
 */
import { type Queryable } from '../connection/connection.ts';
import { oldTableName } from '../table/names.ts';
import { CutoverFailedError, OldTableExistsError } from './errors.ts';
import { timestampedOldTableName } from './names.ts';
import { qualifiedName } from '../format.ts';
import { tableExists } from './tables.ts';

/**
 * `_<t>_old` if free; if taken and `keep`, `_<t>_old_<yyyymmddHHMMSS>` (UTC, `now`); if taken and
 * not `keep` (or the timestamped name is taken too), OldTableExistsError. Pass the result to
 * cutover() as `oldName`.
 */
export async function chooseOldTableName(db: Queryable, schema: string, table: string, keep: boolean, now: Date = new Date()): Promise<string> {
  const plain = oldTableName(table);
  if (!(await tableExists(db, schema, plain))) return plain;
  if (!keep) throw new OldTableExistsError(schema, plain);
  const stamped = timestampedOldTableName(table, now);
  if (await tableExists(db, schema, stamped)) throw new OldTableExistsError(schema, stamped);
  return stamped;
}

/**
 * After a successful cutover: keep=false drops the old table and returns null; keep=true leaves
 * it under the name cutover gave it (already final) and returns that name. `oldName` is the
 * `oldTable` cutover() returned (default `_<t>_old`). `now` is not needed: the name was chosen
 * before the cutover (chooseOldTableName).
 */
export async function finishOldTable(
  db: Queryable,
  schema: string,
  table: string,
  keep: boolean,
  now?: Date,
  oldName: string = oldTableName(table),
): Promise<string | null> {
  void now;
  if (!keep) {
    await db.query(`DROP TABLE IF EXISTS ${qualifiedName(schema, oldName)}`);
    return null;
  }
  if (!(await tableExists(db, schema, oldName))) {
    throw new CutoverFailedError(`the old table \`${schema}\`.\`${oldName}\` to keep does not exist: pass the oldTable that cutover() returned`);
  }
  return oldName;
}
