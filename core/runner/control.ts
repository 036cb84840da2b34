/**
 * The engine's side of the control endpoint (core/control): its settings (threads, chunk-time),
 * its commands (cutover, abort), the status document, and opening the endpoint once the table is
 * known (the end of inspect: after the preflight's lock, before anything is created).
 */
import { formatDuration, parseDuration } from '../duration.ts';
import { MigrationControl, type ControlStatus } from '../control/control.ts';
import { ControlEndpoint, defaultSocketPath } from '../control/endpoint.ts';
import { ControlValueError } from '../control/errors.ts';
import { wholeNumber, type ControlTable } from '../control/registry.ts';
import type { MigrationContainer } from '../container/container.ts';
import type { PhaseContext } from '../lifecycle/context.ts';
import { MAX_THREADS, type ResolvedOptions } from '../options.ts';
import { Tokens } from '../tokens.ts';
import type { RunState } from './state.ts';

/** Longest chunk time target (as --target-chunk-time). */
const MAX_CHUNK_MS = 60_000;

export function engineControl(table: ControlTable, state: RunState, container: MigrationContainer, options: ResolvedOptions, cancel: (reason: string) => void): MigrationControl {
  table.setting({
    name: 'threads',
    description: `copy workers (1 to ${MAX_THREADS}): more start at once, fewer leave after their current chunk`,
    get: () => state.threads,
    set(value) {
      const threads = wholeNumber('threads', value, 1, MAX_THREADS);
      const was = state.threads;
      state.threads = threads;
      state.copier?.setThreads(threads);
      return `threads: ${was} -> ${threads}`;
    },
  });
  table.setting({
    name: 'chunk-time',
    description: 'the time one copy chunk aims at (a duration: 250ms, 2s); the chunk size follows',
    get: () => formatDuration(state.targetChunkMs),
    set(value) {
      const ms = typeof value === 'boolean' ? undefined : parseDuration(value);
      if (ms === undefined || ms < 1 || ms > MAX_CHUNK_MS) {
        throw new ControlValueError(`chunk-time must be a duration from 1ms to ${formatDuration(MAX_CHUNK_MS)}, got ${JSON.stringify(value)}: send chunk-time=500ms`);
      }
      const was = state.targetChunkMs;
      state.targetChunkMs = Math.round(ms);
      state.copier?.setTargetChunkMs(state.targetChunkMs);
      return `chunk-time: ${formatDuration(was)} -> ${formatDuration(state.targetChunkMs)}`;
    },
  });
  table.command({
    name: 'cutover',
    description: 'release a deferred cutover, as dropping the sentinel table does (sent earlier: the migration will not wait)',
    run() {
      if (state.phase === 'cutover' || state.phase === 'cut-over') return 'the cutover is already running';
      const waiting = state.cutoverWaiting;
      state.cutoverReleased = true;
      if (waiting) return 'cutover released: the migration cuts over now';
      return options.deferCutover
        ? 'cutover released in advance: the migration will cut over as soon as the copy and its checks end'
        : 'the cutover was not deferred: the migration cuts over when the copy and its checks end (and will not wait for a sentinel table)';
    },
  });
  table.command({
    name: 'abort',
    description: 'cancel the migration, keeping its checkpoint (run it again to resume)',
    run(reason) {
      cancel(`aborted through the control endpoint${reason?.trim() ? `: ${reason.trim()}` : ''}`);
      return 'the migration is being cancelled; its checkpoint is kept';
    },
  });
  return new MigrationControl(table, () => status(state, container, options));
}

function status(state: RunState, container: MigrationContainer, options: ResolvedOptions): Omit<ControlStatus, 'settings' | 'endpoints'> {
  const snapshot = state.snapshot();
  const target = container.tryResolve(Tokens.Target);
  const applied = state.replayer?.applied;
  const copying = state.copier !== undefined && !state.copyDone;
  return {
    table: target ? `${target.schema}.${target.table}` : null,
    phase: snapshot.phase,
    elapsedMs: Date.now() - state.startedAt,
    rowsCopied: snapshot.rowsCopied,
    rowsEstimate: snapshot.rowsEstimate,
    chunkSize: copying ? state.copier!.chunkSize : null,
    copyWorkers: copying ? state.copier!.workers : null,
    throttled: snapshot.throttled ?? null,
    replay: { applied: applied ? `${applied.file}:${applied.position}` : null, pending: state.replayer?.pending ?? 0, events: snapshot.replayedEvents },
    cutover: state.cutoverReleased ? 'released' : state.cutoverWaiting ? 'waiting' : options.deferCutover ? 'deferred' : 'not deferred',
  };
}

/** Opens the endpoint the options ask for (none: nothing), on the run's disposal stack; logs where it listens. */
export async function openControlEndpoint(ctx: PhaseContext, control: MigrationControl): Promise<void> {
  const options = ctx.resolve(Tokens.Options);
  const { schema, table } = ctx.resolve(Tokens.Target);
  const socketPath = options.controlSocket === true ? defaultSocketPath(options.connection, schema, table)
    : typeof options.controlSocket === 'string' ? options.controlSocket : undefined;
  if (socketPath === undefined && options.controlPort === undefined) return;
  const endpoint = await ControlEndpoint.open({ control, socketPath, port: options.controlPort, log: ctx.log });
  await ctx.defer('control endpoint', () => endpoint.close());
  control.listening({ ...(endpoint.socketPath ? { socket: endpoint.socketPath } : {}), ...(endpoint.port !== undefined ? { port: endpoint.port } : {}) });
  const where = [endpoint.socketPath ? `socket ${endpoint.socketPath}` : '', endpoint.port !== undefined ? `127.0.0.1:${endpoint.port}` : ''].filter(Boolean).join(' and ');
  ctx.log.info(`control: listening on ${where} (migrate ctl${endpoint.socketPath ? ` --socket ${endpoint.socketPath}` : ''} status)`);
}
