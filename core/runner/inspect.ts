/**
 * Phase `inspect`: understand the statement and the table, and refuse early — before anything is
 * created — with a typed one-line error. Then the plugins' `preflight` hooks (the MDL plugin takes
 * its lock there). Last, the plugins' `resume` answer (see after-swap.ts for a rerun after the swap).
 */
import { readUserSession } from '../connection/user-session.ts';
import { cutOverPhase } from '../cleanup/cleanup.ts';
import { tableExists } from '../cutover/tables.ts';
import { InvalidOptionError, SluiceError } from '../errors.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { checkAlterSupported } from '../preflight/alter.ts';
import { checkPrivileges } from '../preflight/privileges.ts';
import { checkServerSettings } from '../preflight/server.ts';
import { checkStoredGeneratedInputs } from '../preflight/generated.ts';
import { chooseKey, describeKey } from '../preflight/key-choice.ts';
import { checkForeignKeys } from '../preflight/foreign-keys.ts';
import { ForeignKeyError } from '../preflight/errors.ts';
import { qualifiedName } from '../format.ts';
import { probeAlter, type ProbeResult } from '../shadow/probe.ts';
import { parseAlter } from '../statement/parse.ts';
import { withStoredNames } from '../statement/stored-names.ts';
import { inspectTable } from '../table/inspect.ts';
import { checkTriggers } from '../triggers/preflight.ts';
import { checkpointTableName } from '../table/names.ts';
import { Tokens } from '../tokens.ts';
import { finishEarlierCutover } from './after-swap.ts';
import { openControlEndpoint } from './control.ts';
import { ControlToken, RunStateToken } from './state.ts';

export const inspectPhase: Phase = {
  name: 'inspect',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    const pool = ctx.resolve(Tokens.Pool);
    const parsed = parseAlter(options.statement);
    checkAlterSupported(parsed);
    const schema = parsed.schema ?? options.connection.database;
    if (!schema) {
      throw new InvalidOptionError(`no database for table ${parsed.table}: pass --database or write ALTER TABLE db.${parsed.table} …`);
    }
    await checkServerSettings(pool, ctx.resolve(Tokens.Flavor));
    await checkPrivileges(pool, schema);
    const session = await readUserSession(pool, { sqlMode: options.sqlMode, timeZone: options.timeZone });
    const table = await inspectTable(pool, schema, parsed.table);
    const foreignKeys = await checkForeignKeys(pool, table, parsed, options);
    if (foreignKeys.dropSwap && table.triggers.length > 0) {
      throw new ForeignKeyError(`${qualifiedName(table.schema, table.name)} has triggers, which --alter-foreign-keys-method drop-swap would drop with the table: use rebuild-constraints instead`, []);
    }
    // From here on only the names as stored: with lower_case_table_names 1 or 2, `Orders` and
    // `orders` are one table, one shadow, one checkpoint (statement included) and one lock.
    // Provided before the probe, so that a plugin's onError can name the table of a refusal.
    const statement = withStoredNames(options.statement, table.schema, table.name);
    ctx.provide(Tokens.Target, { schema: table.schema, table: table.name, statement, parsed });
    ctx.provide(Tokens.UserSession, session);
    // The statement tried on an empty temporary copy: the server's refusal, and the new table's keys.
    // A rerun after an earlier run swapped the tables probes the altered table, which may refuse
    // the statement (ADD COLUMN d: a duplicate column): with its checkpoint there, the refusal waits
    // for the resume answer, which may end the run by finishing that earlier cutover.
    let refusal: { error: unknown } | undefined;
    let source: typeof table = table;
    let probeIndexes: ProbeResult['secondaryIndexes'] | null = null;
    try {
      const probe = await probeAlter(pool, table, parsed, session);
      probeIndexes = probe?.secondaryIndexes ?? null;
      // The key to copy and replay by (core/preflight/key-choice.ts). Without a probe (a table that cannot be
      // TEMPORARY) it is chosen on the old table alone and checked again on the shadow (core/shadow/shadow.ts).
      const key = chooseKey(table, probe ?? table, parsed.renamedColumns);
      source = { ...table, key };
      ctx.emit({ type: 'key', key, description: describeKey(key) });
      if (probe) await checkStoredGeneratedInputs(pool, source, parsed, probe.columns);
      // Triggers move to the new table at the cutover: refuse those that cannot (core/triggers).
      if (source.triggers.length > 0) await checkTriggers(pool, source.schema, source.name, parsed);
    } catch (error) {
      if (!(error instanceof SluiceError) || !(await swappedBefore(pool, table.schema, table.name))) throw error;
      refusal = { error };
    }
    ctx.provide(Tokens.Source, source);
    const state = ctx.resolve(RunStateToken);
    state.rowsEstimate = source.rowsEstimate;
    state.foreignKeys = foreignKeys;
    state.probeIndexes = probeIndexes;
    await ctx.hooks.call(ctx, 'preflight');
    // A dry run asks no resume question: a checkpoint that could not be used would be dropped.
    if (options.dryRun) {
      if (refusal) throw refusal.error;
      return;
    }
    // Once the table is known and locked by the preflight (a second migration of it stops there
    // first), before anything is created: a live socket at the path refuses the run with nothing made.
    await openControlEndpoint(ctx, ctx.resolve(ControlToken));
    // Asked here, under the preflight's lock and before the native phase could alter the table:
    // a checkpoint saying an earlier run already swapped the tables ends the run here.
    const point = await ctx.hooks.resume(ctx);
    state.resumePoint = point;
    if (point?.cutOver) return finishEarlierCutover(ctx, { ...point, cutOver: point.cutOver });
    if (refusal) throw refusal.error;
  },
};

/** A checkpoint of `table` in phase cut-over: an earlier run swapped the tables and did not finish its cleanup. */
async function swappedBefore(pool: Parameters<typeof tableExists>[0], schema: string, table: string): Promise<boolean> {
  const name = checkpointTableName(table);
  return (await tableExists(pool, schema, name)) && (await cutOverPhase(pool, schema, name)) !== undefined;
}
