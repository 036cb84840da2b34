/**
 * A dry run (`dryRun: true`): the native phase's place in the run, after every preflight check and
 * refusal of `inspect` (the plugins' `preflight` hooks included; their `resume` is not asked: a
 * checkpoint a real run could not use would be dropped). It changes nothing and answers what a
 * real run would do — how the table would be changed (core/shadow/dry-copy.ts asks the server on an
 * unlogged empty copy), the shadow table, the copy key, the size, a copy-time estimate from a short
 * sampled read, the plugins — as the result's `plan` (mode 'dry-run').
 */
import mysql from 'mysql2/promise';
import { queryRows } from '../connection/connection.ts';
import { hasIntegerKey } from '../copier/keys.ts';
import { existingTables } from '../cutover/tables.ts';
import type { PhaseContext } from '../lifecycle/context.ts';
import { qualifiedName } from '../format.ts';
import { dryCopy } from '../shadow/dry-copy.ts';
import { tableKey } from '../table/key.ts';
import { checkpointTableName, shadowTableName } from '../table/names.ts';
import type { TableInfo } from '../table/types.ts';
import { Tokens } from '../tokens.ts';
import type { MigrationPlan, MigrationResult } from '../types.ts';
import { RunStateToken } from './state.ts';

/** Rows read for the copy-time estimate: enough to time, few enough to take well under a second. */
export const SAMPLE_ROWS = 5000;

export async function dryRunResult(ctx: PhaseContext): Promise<MigrationResult> {
  const options = ctx.resolve(Tokens.Options);
  const pool = ctx.resolve(Tokens.Pool);
  const target = ctx.resolve(Tokens.Target);
  const source = ctx.resolve(Tokens.Source);
  const copy = await dryCopy(pool, source, target.parsed, ctx.resolve(Tokens.UserSession), ctx.resolve(Tokens.Flavor), options.tryNative, ctx.signal);
  const method: MigrationPlan['method'] = copy.native ? copy.native : copy.native === null || !options.tryNative ? 'copy' : 'unknown';
  const inPlace = method !== 'copy' && method !== 'unknown';
  const sizes = await tableSizes(pool, source);
  const sample = inPlace ? null : await sampleRead(pool, source, Math.min(SAMPLE_ROWS, Math.max(1, source.rowsEstimate)));
  const leftovers = await existingTables(pool, source.schema, [shadowTableName(source.name), checkpointTableName(source.name)]);
  const plan: MigrationPlan = {
    schema: source.schema, table: source.name, statement: target.statement, method,
    ...(copy.nativeUnknown ? { methodNote: copy.nativeUnknown } : {}),
    shadow: inPlace ? null : {
      name: shadowTableName(source.name), definition: copy.definition,
      droppedColumns: copy.columns?.dropped ?? null, addedColumns: copy.columns?.added ?? null,
    },
    key: { columns: tableKey(source).columns, index: tableKey(source).index, chunking: hasIntegerKey(source) ? 'integer range' : 'keyset' },
    estimate: {
      rows: source.rowsEstimate, ...sizes, sample,
      copySeconds: sample && sample.rows > 0 ? Math.round((source.rowsEstimate / sample.rows) * (sample.ms / 1000) * 10) / 10 : null,
    },
    plugins: ctx.hooks.plugins.map((p) => ({ name: p.name, ...(p.settings ? { settings: p.settings } : {}) })),
    leftovers: [...leftovers].sort(),
  };
  const state = ctx.resolve(RunStateToken);
  ctx.log.info(`dry run: ${source.schema}.${source.name} would be ${inPlace ? `altered in place (ALGORITHM=${method.toUpperCase()})` : method === 'copy' ? 'copied to a shadow table' : 'copied unless the server can alter it in place (not known)'}; nothing was changed`);
  return {
    schema: source.schema, table: source.name, mode: 'dry-run', durationMs: Date.now() - state.startedAt,
    rowsCopied: 0, rowsWritten: 0, rowsSkipped: 0, rowsResumed: 0, chunks: 0, replayEvents: 0, phases: [], resumed: false, cutover: null, warnings: [], plan,
  };
}

async function tableSizes(pool: Parameters<typeof queryRows>[0], source: TableInfo): Promise<{ dataBytes: number; indexBytes: number }> {
  const [row] = await queryRows<{ d: unknown; i: unknown }>(pool,
    'SELECT DATA_LENGTH AS d, INDEX_LENGTH AS i FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [source.schema, source.name]);
  return { dataBytes: Number(row?.d ?? 0), indexBytes: Number(row?.i ?? 0) };
}

/** The first `rows` rows in key order, read on the server without locks (a consistent read; only a count comes back), timed. */
async function sampleRead(pool: Parameters<typeof queryRows>[0], source: TableInfo, rows: number): Promise<{ rows: number; ms: number }> {
  const order = tableKey(source).columns.map((c) => mysql.escapeId(c, true)).join(', ');
  const started = performance.now();
  const [read] = await queryRows<{ n: unknown }>(pool, `SELECT COUNT(*) AS n FROM (SELECT * FROM ${qualifiedName(source.schema, source.name)} ORDER BY ${order} LIMIT ${rows}) AS sample`);
  return { rows: Number(read?.n ?? 0), ms: Math.round((performance.now() - started) * 10) / 10 };
}
