/**
 * The cutover's move of the table's triggers to the new table (see README.md, "Triggers"). All of
 * it happens under A's lock on `t`, after the last replay flush, with the RENAME queued and the
 * shadow already named `<t>~new`: A drops each trigger from `t` (A holds `t`; no write can run on
 * it), C creates it on `<t>~new` (locked by nobody: MariaDB took it out of A's set when A renamed
 * it, so A's first CREATE there fails with ER_TABLE_NOT_LOCKED and C takes over; B waits on `t`
 * first). Names are unique per schema, so a trigger is on one table at most.
 */
import type { Queryable } from '../connection/connection.ts';
import { TriggersError } from '../preflight/errors.ts';
import { checkTriggerNames } from '../triggers/check.ts';
import { createTrigger, dropTrigger, readTriggerDefs, type TriggerDef } from '../triggers/read.ts';
import { ER_TABLE_NOT_LOCKED, hasErrno } from './sql-errors.ts';
import type { SwapTables } from './swap-state.ts';

export class TriggerMove {
  private defs: TriggerDef[] = [];
  /** Dropped from `t` (in order); those also created on the new table are in `created`. */
  private dropped: TriggerDef[] = [];
  private readonly created = new Set<string>();
  /** Whether A still holds `<t>~new` after renaming it (MySQL); MariaDB: no, found at the first CREATE. */
  private newHeldByA = true;

  constructor(private readonly t: SwapTables) {}

  get count(): number {
    return this.defs.length;
  }

  /** Under A's lock: the triggers on `t` now (those created during the migration included). */
  async read(a: Queryable): Promise<void> {
    this.defs = await readTriggerDefs(a, this.t.schema, this.t.table);
    checkTriggerNames(this.t.schema, this.t.table, this.defs);
  }

  /**
   * A drops each from `t`; C creates it on `<t>~new`, one after the other. (MySQL keeps a table
   * renamed under LOCK TABLES in A's set, where C would wait for it: A creates them there.)
   */
  async move(a: Queryable, ctl: Queryable): Promise<void> {
    const { schema, table, swap } = this.t;
    for (const def of this.defs) {
      await dropTrigger(a, schema, def.name);
      this.dropped.push(def);
      try {
        await this.createOnNew(a, ctl, def);
      } catch (err) {
        const e = err as { errno?: unknown; sqlMessage?: string };
        if (typeof e?.errno !== 'number') throw err;
        throw new TriggersError(schema, table, def.name, `the server refuses it on the new table: ${e.sqlMessage ?? String(err)}`, { cause: err });
      }
      this.created.add(def.name);
    }
  }

  private async createOnNew(a: Queryable, ctl: Queryable, def: TriggerDef): Promise<void> {
    const { schema, swap } = this.t;
    if (this.newHeldByA) {
      try {
        return await createTrigger(a, def, schema, swap.shadow);
      } catch (err) {
        if (!hasErrno(err, ER_TABLE_NOT_LOCKED)) throw err;
        this.newHeldByA = false; // MariaDB: the renamed table left A's set
      }
    }
    await createTrigger(ctl, def, schema, swap.shadow);
  }

  /** Undo, first half (the swap did not happen): the moved triggers leave the new table (by whoever holds it). */
  async dropFromNew(ctl: Queryable, a?: Queryable): Promise<void> {
    const db = this.newHeldByA && a ? a : ctl;
    for (const def of this.dropped) {
      if (!this.created.has(def.name)) continue;
      await dropTrigger(db, this.t.schema, def.name, true);
      this.created.delete(def.name);
    }
  }

  /** Undo, second half: every trigger dropped from `t` is created on it again, by `onT` (A, holding `t`). */
  async restoreOnTable(onT: Queryable): Promise<void> {
    while (this.dropped.length > 0) {
      await createTrigger(onT, this.dropped[0]!, this.t.schema, this.t.table);
      this.dropped.shift();
    }
  }

  /**
   * The swap happened although the move was not finished (A's session ended with the RENAME
   * queued, which then ran): what is not on the new `t` yet goes there, from wherever it is.
   */
  async completeOnSwapped(ctl: Queryable, oldTable: string): Promise<void> {
    const { schema, table } = this.t;
    for (const def of this.defs) {
      if (this.created.has(def.name)) continue;
      if (!this.dropped.includes(def)) {
        const onOld = (await readTriggerDefs(ctl, schema, oldTable)).some((d) => d.name === def.name);
        if (onOld) await dropTrigger(ctl, schema, def.name);
      }
      await createTrigger(ctl, def, schema, table);
      this.created.add(def.name);
    }
    this.dropped = [];
  }
}
