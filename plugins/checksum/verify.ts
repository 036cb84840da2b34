/**
 * The checksum run for the `verify` hook: passes (lock + snapshots + compare) until one finds no
 * mismatched chunk; a mismatched chunk is re-copied between passes; after `maxPasses` failed passes
 * the migration stops with ChecksumMismatchError (so it does not cut over).
 */
import mysql from 'mysql2/promise';
import { RateMeter, tableKey, throwIfAborted, Tokens } from '../../plugin-api.ts';
import type { PluginContext } from '../../plugin-api.ts';
import { diagnoseMismatch } from './diagnose.ts';
import { ChecksumMismatchError } from './errors.ts';
import { checksumSelects } from './expressions.ts';
import type { ResolvedChecksumOptions } from './options.ts';
import { runPass, type ChunkMismatch } from './pass.ts';
import { describeRange } from './range.ts';
import { SnapshotSet } from './snapshots.ts';

function counts(m: ChunkMismatch): string {
  return `source ${m.source.rows} row(s), shadow ${m.shadow.rows}${m.source.rows === m.shadow.rows ? ' with different values' : ''}`;
}

export async function verifyShadow(ctx: PluginContext, opts: ResolvedChecksumOptions): Promise<void> {
  const options = ctx.resolve(Tokens.Options);
  const target = ctx.resolve(Tokens.Target);
  const source = ctx.resolve(Tokens.Source);
  const shadow = ctx.resolve(Tokens.Shadow);
  const copy = ctx.resolve(Tokens.Copy);
  const replay = ctx.resolve(Tokens.Replay);
  const threads = opts.threads ?? options.threads;
  const selects = checksumSelects(source, shadow.info, shadow.mapping);
  const tableName = `${mysql.escapeId(target.schema)}.${mysql.escapeId(target.table)}`;
  const startedAt = Date.now();

  const set = await SnapshotSet.open({
    connection: options.connection,
    session: options.session,
    schema: target.schema,
    source: target.table,
    shadow: shadow.name,
    count: threads,
    replay,
    locks: ctx.resolve(Tokens.Locks),
    log: ctx.log,
    signal: ctx.signal,
    onOpen: (name, close) => ctx.defer(name, close),
  });
  try {
    ctx.log.debug(`checksum: connection ids ${set.threadIds.join(', ')} (lock connection first)`);
    for (let pass = 1; ; pass++) {
      ctx.log.info(`checksum: pass ${pass} started (${threads} thread(s), ${opts.rowsPerChunk} rows per chunk)`);
      const take = async () => {
        const heldMs = await set.take();
        ctx.log.info(`checksum: tables locked ${Math.round(heldMs)} ms to take ${threads} consistent snapshot(s)`);
      };
      await take();
      let lastReport = Date.now();
      // The pass's own percent and ETA, against the table's estimate (the statistics'; raised when exceeded).
      const estimate = Math.max(0, source.rowsEstimate);
      const meter = new RateMeter();
      const report = (rows: number, finished = false) => {
        const total = Math.max(estimate, rows);
        ctx.emit({ type: 'step', step: `checksum pass ${pass}`, unit: 'rows', done: rows, total, finished, ...meter.measure(rows, total, { finished }) });
      };
      const result = await runPass({
        schema: target.schema,
        source: target.table,
        shadow: shadow.name,
        indexes: { source: tableKey(source).index, shadow: tableKey(source).shadowIndex },
        selects,
        copy,
        connections: set.connections,
        rowsPerChunk: opts.rowsPerChunk,
        signal: ctx.signal,
        snapshotAgeMs: () => set.ageMs,
        maxAgeMs: opts.snapshotMaxAgeMs,
        retake: async () => {
          ctx.log.info(`checksum: snapshots are ${set.ageMs} ms old (snapshotMaxAge ${opts.snapshotMaxAgeMs} ms): retaking them`);
          await take();
        },
        onRows: (rows) => {
          if (Date.now() - lastReport < options.progressIntervalMs) return;
          lastReport = Date.now();
          report(rows);
        },
      });
      await set.release();
      report(result.rows, true);
      if (result.mismatches.length === 0) {
        ctx.log.info(`checksum: ${tableName} and ${mysql.escapeId(shadow.name)} match: ${result.rows} rows in ${result.chunks} chunk(s) verified in ${pass} pass(es), ${Date.now() - startedAt} ms`);
        return;
      }
      const first = result.mismatches[0]!;
      const firstRange = describeRange(tableKey(source).columns, first.chunk.lower, first.chunk.upper);
      if (pass >= opts.maxPasses) {
        const diagnosis = await diagnoseMismatch(set.lockConnection, source, shadow.info, shadow.mapping);
        throw new ChecksumMismatchError({
          table: tableName,
          range: firstRange,
          lower: first.chunk.lower,
          upper: first.chunk.upper,
          passes: pass,
          chunks: result.mismatches.length,
          counts: counts(first),
          cause: diagnosis.cause,
          fix: diagnosis.fix,
        });
      }
      ctx.log.warn(`checksum: pass ${pass} found ${result.mismatches.length} mismatched chunk(s) (first: rows ${firstRange}, ${counts(first)}): re-copying them`);
      for (const m of result.mismatches) {
        throwIfAborted(ctx.signal);
        const copied = await copy.recopy(m.chunk.lower, m.chunk.upper);
        ctx.log.debug(`checksum: re-copied ${copied} row(s) of ${describeRange(tableKey(source).columns, m.chunk.lower, m.chunk.upper)}`);
      }
    }
  } finally {
    await set.close();
  }
}
