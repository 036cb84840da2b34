/**
 * Phase `prepare`: resume (when a plugin offers a resume point) or start fresh; then start the
 * binlog stream — always before the first chunk is read, so every change after the copy's reads
 * reaches the shadow table through replay.
 */
import mysql, { type Pool } from 'mysql2/promise';
import { currentBinlogPosition, queryRows } from '../connection/connection.ts';
import { SluiceError } from '../errors.ts';
import type { PhaseContext } from '../lifecycle/context.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { Copier } from '../copier/copier.ts';
import { shareLocking } from '../copier/locking.ts';
import { ShadowGate } from '../copier/shadow-gate.ts';
import { BinlogReplayer } from '../replay/replayer.ts';
import { deferIndexes, missingIndexes, type DeferredIndex } from '../shadow/deferred-indexes.ts';
import { createShadowTable, dropShadowTable, loadShadowTable, type ShadowTable } from '../shadow/shadow.ts';
import { tableExists } from '../cutover/tables.ts';
import { shadowTableName } from '../table/names.ts';
import type { ColumnMapping } from '../table/types.ts';
import { Tokens } from '../tokens.ts';
import { tableKey } from '../table/key.ts';
import type { BinlogPosition, KeyTuple } from '../types.ts';
import { copyControl, replayControl } from './controls.ts';
import { RunStateToken } from './state.ts';
import { returnTriggersToTable } from '../triggers/repair.ts';
import { swapTableNames } from '../cutover/names.ts';

/** A resume point was offered but the shadow table is gone. */
export class ResumeShadowMissingError extends SluiceError {
  constructor(table: string) {
    super('RESUME_SHADOW_MISSING', `cannot resume: the shadow table ${table} is gone; drop the checkpoint table and run again to start fresh`);
  }
}

export const preparePhase: Phase = {
  name: 'prepare',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    const pool = ctx.resolve(Tokens.Pool);
    const target = ctx.resolve(Tokens.Target);
    const source = ctx.resolve(Tokens.Source);
    const state = ctx.resolve(RunStateToken);
    const session = ctx.resolve(Tokens.UserSession);

    const resume = state.resumePoint; // asked at the end of inspect
    await returnShadowTriggers(ctx, pool, source.schema, source.name);
    let shadow: ShadowTable;
    let start: BinlogPosition;
    if (resume) {
      const existing = await loadShadowTable(pool, source, target.parsed, session);
      if (!existing) throw new ResumeShadowMissingError(shadowTableName(source.name));
      shadow = existing;
      start = resume.binlog;
      state.resumed = true;
      state.rowsCopiedBefore = resume.rowsCopied;
      state.rowsBelowStart = resume.rowsCopied;
      state.copyDone = resume.lowWatermark === 'done';
      state.resumeLowWatermark = resume.lowWatermark === 'done' ? null : resume.lowWatermark;
      state.shadowMaxKey = await maxKey(pool, source.schema, shadow.name, tableKey(source).columns);
      state.deferredIndexes = await pendingIndexes(ctx, shadow.name);
      ctx.log.info(`resuming: copy after ${describeKey(resume.lowWatermark)}, replay from ${start.file}:${start.position}`);
    } else {
      if (await tableExists(pool, source.schema, shadowTableName(source.name))) {
        ctx.log.warn(`dropping the leftover shadow table ${shadowTableName(source.name)} (no resume point): starting fresh`);
        await dropShadowTable(pool, source);
      }
      shadow = await createShadowTable(pool, source, target.parsed, session, state.foreignKeys.keep);
      // Only with a probe (a resume must be able to tell which indexes the shadow still lacks), and not
      // with foreign keys on the shadow (a constraint needs its index: the server refuses to drop it).
      if (options.deferIndexes && state.probeIndexes !== null && state.foreignKeys.keep.length === 0) {
        // Dropped while the shadow is empty; built again by phase `indexes` (core/shadow/README.md).
        const deferred = await deferIndexes(pool, source.schema, shadow.name);
        const dropped = new Set(deferred.map((i) => i.name));
        shadow = { ...shadow, info: { ...shadow.info, indexes: shadow.info.indexes.filter((i) => !dropped.has(i.name)) } };
        state.deferredIndexes = deferred;
      }
      start = await currentBinlogPosition(pool);
    }
    if (shadow.dropped.length > 0) ctx.log.warn(`the ALTER drops column(s) ${shadow.dropped.join(', ')}: their data is not copied`);
    ctx.provide(Tokens.Shadow, { name: shadow.name, info: shadow.info, mapping: shadow.mapping });
    // Copy and replay lock without waiting for the application; with an AUTO_INCREMENT column they never
    // overlap on the shadow (its AUTO-INC lock), see core/copier/README.md.
    state.shadowGate = shadow.info.autoIncrement !== null ? new ShadowGate() : undefined;
    if (!state.copyDone) state.copier = buildCopier(ctx, shadow.name, shadow.mapping);

    // Yielding locking reads (copy, replay, the checksum's re-copy) only with copyYields: measured slower
    // under a hot write load (core/copier/README.md, core/replay/README.md).
    const yielding = options.copyYields ? shareLocking(ctx.resolve(Tokens.Flavor)) : null;
    const replayer = await BinlogReplayer.start({
      connection: options.connection,
      pool,
      source,
      shadow: shadow.name,
      mapping: shadow.mapping,
      start,
      serverId: options.serverId,
      reconnectSeconds: options.reconnectTimeout,
      // with copyYields, replay's locking reads never wait while holding a lock (NOWAIT / SKIP LOCKED), like the copy's
      tuning: { gate: state.shadowGate, locking: yielding },
      skipKey: skipsAllowed(shadow, tableKey(source).shadowIndex) ? (key) => skippable(state.copier, state.shadowMaxKey, key) : undefined,
      log: ctx.log,
    });
    await ctx.defer('binlog replay', () => replayer[Symbol.asyncDispose]());
    state.replayer = replayer;
    ctx.provide(Tokens.Replay, replayControl(replayer, ctx.signal));
    ctx.provide(Tokens.Copy, copyControl(pool, source, shadow.name, shadow.mapping, {
      locking: yielding, gate: state.shadowGate, targetChunkMs: options.targetChunkMs,
      conflictTimeoutMs: options.lockConflictTimeout * 1000, signal: ctx.signal,
    }));
  },
};

/**
 * A run that died inside the cutover's trigger move left triggers on the shadow: they go back to
 * the table before copy or replay write to the shadow again (or it is dropped to start fresh).
 */
async function returnShadowTriggers(ctx: PhaseContext, pool: Pool, schema: string, table: string): Promise<void> {
  const conn = await pool.getConnection();
  try {
    const moved = await returnTriggersToTable(conn, schema, table, [shadowTableName(table), swapTableNames(table).shadow]);
    if (moved.length > 0) ctx.log.warn(`trigger(s) ${moved.join(', ')} were on the shadow table (an earlier run ended inside its cutover): moved back to ${table}`);
  } finally {
    conn.release();
  }
}

/**
 * On resume: the statement's plain secondary indexes (the probe's) that the shadow lacks — the
 * earlier run deferred them and did not build them (all of them), or built them (none).
 */
async function pendingIndexes(ctx: PhaseContext, shadow: string): Promise<DeferredIndex[]> {
  const state = ctx.resolve(RunStateToken);
  const source = ctx.resolve(Tokens.Source);
  if (state.probeIndexes === null) {
    ctx.log.warn(`cannot check whether ${shadow} lacks deferred secondary indexes (the statement could not be probed): none are built`);
    return [];
  }
  const missing = await missingIndexes(ctx.resolve(Tokens.Pool), source.schema, shadow, state.probeIndexes);
  if (missing.length > 0) ctx.log.info(`resuming: the deferred index(es) ${missing.map((i) => i.name).join(', ')} are built after the copy`);
  return missing;
}

/**
 * A copier of the rows after `state.resumeLowWatermark`, with its own stop signal. Built in
 * prepare, before replay starts (replay's skip decisions see it from the first event), and again
 * by the copy phase after a lost server (copy.ts).
 */
export function buildCopier(ctx: PhaseContext, shadow: string, mapping: ColumnMapping): Copier {
  const options = ctx.resolve(Tokens.Options);
  const state = ctx.resolve(RunStateToken);
  state.stopCopy = new AbortController();
  const copySignal = AbortSignal.any([ctx.signal, state.stopCopy.signal]);
  const copyCtx = ctx.withSignal(copySignal); // a throttler waiting in beforeChunk wakes when the copy stops
  return new Copier({
    pool: ctx.resolve(Tokens.Pool), source: ctx.resolve(Tokens.Source), shadow, mapping,
    threads: state.threads,
    targetChunkMs: state.targetChunkMs,
    startAfter: state.resumeLowWatermark,
    signal: copySignal,
    // blocking locking reads unless the copy yields (see MigrationOptions.copyYields)
    locking: options.copyYields ? shareLocking(ctx.resolve(Tokens.Flavor)) : null,
    gate: state.shadowGate,
    lockConflictTimeoutMs: options.lockConflictTimeout * 1000,
    beforeChunk: (chunk) => ctx.hooks.call(copyCtx, 'beforeChunk', chunk),
    afterChunk: (done) => ctx.hooks.call(copyCtx, 'afterChunk', done),
  });
}

/**
 * With a UNIQUE index besides the PK on the shadow, a copied row can be ignored (INSERT IGNORE)
 * because a not-yet-replayed stale row still holds its unique value; replaying every key then
 * re-reads it afterwards. So keys are only skipped when the key's index is the shadow's only unique index.
 */
function skipsAllowed(shadow: ShadowTable, keyIndex: string): boolean {
  return !shadow.info.indexes.some((index) => index.unique && index.name !== keyIndex);
}

/**
 * Replay may ignore a key only when the copier will still read it (above its high watermark; the
 * copier exists before replay starts, so the answer for a key never flips from "write" to "skip"
 * once replay has written it — except across a resume, hence the next rule), and
 * never a key at or below what a resumed shadow table already holds: a delete there must be
 * replayed, or the row would stay behind as a phantom.
 */
function skippable(copier: { isAboveHighWatermark(k: KeyTuple): boolean } | undefined, shadowMax: KeyTuple | null, key: KeyTuple): boolean {
  if (!copier || !copier.isAboveHighWatermark(key)) return false;
  if (shadowMax === null) return true;
  try {
    return BigInt(String(key[0])) > BigInt(String(shadowMax[0]));
  } catch {
    return false;
  }
}

export async function maxKey(db: Parameters<typeof queryRows>[0], schema: string, table: string, pk: readonly string[]): Promise<KeyTuple | null> {
  const cols = pk.map((c) => mysql.escapeId(c)).join(', ');
  const order = pk.map((c) => `${mysql.escapeId(c)} DESC`).join(', ');
  const [row] = await queryRows(db, `SELECT ${cols} FROM ${mysql.escapeId(schema)}.${mysql.escapeId(table)} ORDER BY ${order} LIMIT 1`);
  return row ? pk.map((c) => row[c]) : null;
}

function describeKey(key: KeyTuple | null | 'done'): string {
  if (key === 'done') return 'the end (copy complete)';
  if (key === null) return 'the start';
  return `(${key.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : String(v))).join(', ')})`;
}
