/**
 * checkForeignKeys: what happens to the table's foreign keys, decided before anything is created
 * (see README.md, "Foreign keys"). Returns the plan the shadow and the cutover follow:
 *   - child side (the table references a parent): the constraints are re-created on the shadow
 *     (`keep`), or left off with `discardForeignKeys`;
 *   - parent side (other tables reference it): refused unless `alterForeignKeysMethod` is
 *     `rebuild-constraints` and every child table holds at most `rebuildChildMaxRows` rows.
 * Cascaded changes (ON DELETE/UPDATE CASCADE, SET NULL, SET DEFAULT) are not written to the binlog
 * on MariaDB 10.11 (checked: a parent DELETE logs only the parent's row event), so a shadow without
 * the constraint would keep the rows a cascade removes: those cases are refused.
 */
import { queryRows, type Queryable } from '../connection/connection.ts';
import { qualifiedName } from '../format.ts';
import type { ParsedAlter } from '../statement/types.ts';
import { cascades, readForeignKeyDefinitions, selfReferencing, type ForeignKeyDefinition } from '../table/foreign-keys.ts';
import type { TableInfo } from '../table/types.ts';
import { ForeignKeyError } from './errors.ts';

export type AlterForeignKeysMethod = 'none' | 'rebuild-constraints' | 'drop-swap';

export interface ForeignKeyChoices {
  readonly discardForeignKeys: boolean;
  readonly alterForeignKeysMethod: AlterForeignKeysMethod;
  readonly rebuildChildMaxRows: number;
}

export interface ForeignKeyPlan {
  /** The table's own constraints, to re-create on the shadow (empty with discardForeignKeys). */
  readonly keep: readonly ForeignKeyDefinition[];
  /** Other tables' constraints on this table, to point at the new table after the swap. */
  readonly rebuild: readonly ForeignKeyDefinition[];
  /** Other tables reference it and drop-swap was chosen: the cutover drops `t` and renames the shadow. */
  readonly dropSwap: boolean;
}

export const NO_FOREIGN_KEYS: ForeignKeyPlan = { keep: [], rebuild: [], dropSwap: false };

const describeChild = (fk: ForeignKeyDefinition) => `${fk.name} on ${fk.schema === fk.refSchema ? fk.table : `${fk.schema}.${fk.table}`}`;
const ROLE_LIST = (fks: readonly ForeignKeyDefinition[], role: 'child' | 'parent') =>
  fks.map((fk) => ({ name: fk.name, role, otherTable: role === 'child' ? `${fk.refSchema}.${fk.refTable}` : `${fk.schema}.${fk.table}` }));

export async function checkForeignKeys(db: Queryable, info: TableInfo, parsed: ParsedAlter, choices: ForeignKeyChoices): Promise<ForeignKeyPlan> {
  if (info.foreignKeys.length === 0) return NO_FOREIGN_KEYS;
  const table = qualifiedName(info.schema, info.name);
  const own = await readForeignKeyDefinitions(db, info.schema, info.name, 'child');
  const children = (await readForeignKeyDefinitions(db, info.schema, info.name, 'parent')).filter((fk) => !selfReferencing(fk));

  const dropFk = parsed.clauses.find((c) => c.kind === 'drop-foreign-key');
  if (dropFk && own.length > 0) {
    throw new ForeignKeyError(`"${dropFk.text}" cannot be combined with a copy of ${table}: run ALTER TABLE … ${dropFk.text} on its own first (the server does it in place), then migrate the rest`, ROLE_LIST(own, 'child'));
  }
  const selfCascading = own.filter((fk) => selfReferencing(fk) && cascades(fk));
  if (selfCascading.length > 0) {
    throw new ForeignKeyError(`${table} references itself with a cascading action (${selfCascading.map((fk) => `${fk.name}: ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate}`).join('; ')}): the server does not write cascaded changes to the binlog, so the copy could not follow them; use a native ALTER TABLE`, ROLE_LIST(selfCascading, 'child'));
  }
  if (choices.discardForeignKeys) {
    const cascading = own.filter(cascades);
    if (cascading.length > 0) {
      throw new ForeignKeyError(`--discard-foreign-keys: ${cascading.map((fk) => `${fk.name} (ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate})`).join(', ')} on ${table} change its rows when ${cascading[0]!.refTable} changes, and the server does not write those cascaded changes to the binlog: a shadow without the constraint would keep rows the cascade removes. Keep the foreign keys (drop --discard-foreign-keys), or drop the constraint first`, ROLE_LIST(cascading, 'child'));
    }
  }

  if (children.length > 0) {
    const names = children.map(describeChild).join(', ');
    if (choices.alterForeignKeysMethod === 'none') {
      throw new ForeignKeyError(`${table} is referenced by foreign keys of other tables (${names}); a table swap would leave them pointing at the old table: pass --alter-foreign-keys-method rebuild-constraints to re-point them after the swap (each child table must hold at most --rebuild-child-max-rows rows), or drop-swap (drops the table before renaming the new one: not atomic, see README), or use a native ALTER TABLE`, ROLE_LIST(children, 'parent'));
    }
    const rows = choices.alterForeignKeysMethod === 'rebuild-constraints' ? await childRows(db, children, choices.rebuildChildMaxRows) : new Map<string, number>();
    const big = children.filter((fk) => (rows.get(`${fk.schema}.${fk.table}`) ?? 0) > choices.rebuildChildMaxRows);
    if (big.length > 0) {
      throw new ForeignKeyError(`--alter-foreign-keys-method rebuild-constraints: child table${big.length > 1 ? 's' : ''} ${[...new Set(big.map((fk) => `${fk.schema}.${fk.table} (more than ${choices.rebuildChildMaxRows} rows)`))].join(', ')} ${big.length > 1 ? 'exceed' : 'exceeds'} --rebuild-child-max-rows: raise the limit if an ALTER of the child right after the swap is acceptable, or use a native ALTER TABLE`, ROLE_LIST(big, 'parent'));
    }
    // The children's constraints are re-created on the new table by column name: the ALTER may not touch those columns.
    const referenced = new Set(children.flatMap((fk) => fk.refColumns.map((c) => c.toLowerCase())));
    for (const clause of parsed.clauses) {
      const touches = ['drop-column', 'change-column', 'modify-column', 'rename-column'].includes(clause.kind)
        && clause.name !== undefined && referenced.has(clause.name.toLowerCase());
      if (touches) {
        throw new ForeignKeyError(`"${clause.text}" changes column ${clause.name} of ${table}, which foreign keys of other tables reference (${names}): change it with a native ALTER TABLE, or drop those constraints first`, ROLE_LIST(children, 'parent'));
      }
    }
  }
  const dropSwap = children.length > 0 && choices.alterForeignKeysMethod === 'drop-swap';
  return { keep: choices.discardForeignKeys ? [] : own, rebuild: dropSwap ? [] : children, dropSwap };
}

/** Each child table's row count, counted up to `max + 1` (a bounded read), by `schema.table`. */
async function childRows(db: Queryable, children: readonly ForeignKeyDefinition[], max: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const fk of children) {
    const key = `${fk.schema}.${fk.table}`;
    if (out.has(key)) continue;
    const [row] = await queryRows<{ n: unknown }>(db,
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${qualifiedName(fk.schema, fk.table)} LIMIT ${max + 1}) AS bounded`);
    out.set(key, Number(row?.n ?? 0));
  }
  return out;
}
