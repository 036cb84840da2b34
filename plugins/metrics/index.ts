/**
 * The metrics plugin: a Prometheus endpoint (prom-client) for one migration (README.md has the metrics).
 *
 *   createMigration({ connection, statement, metrics: { port: 9464 } })   // or --metrics-port 9464
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { definePlugin, SluiceError, Tokens, type SluicePlugin } from '../../plugin-api.ts';

export interface MetricsPluginOptions {
  /** Port of the endpoint (0: any free port, logged). Required. */
  port: number;
  /** Address to bind (default 127.0.0.1: loopback only). */
  host?: string;
}

export class MetricsOptionError extends SluiceError {
  constructor(message: string) {
    super('METRICS_OPTION', message);
  }
}

export class MetricsServerError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('METRICS_SERVER', message, options);
  }
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export function metricsPlugin(options: MetricsPluginOptions): SluicePlugin {
  const port = options?.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new MetricsOptionError(`metrics port must be a whole number from 0 to 65535, got ${JSON.stringify(port)}: fix --metrics-port`);
  }
  const host = options.host ?? DEFAULT_METRICS_HOST;
  let m: ReturnType<typeof instruments> | undefined;
  let currentPhase: string | undefined;

  const setPhase = (phase: string) => {
    if (!m || phase === currentPhase) return;
    if (currentPhase) m.phase.set({ phase: currentPhase }, 0);
    m.phase.set({ phase }, 1);
    currentPhase = phase;
  };
  const setOutcome = (outcome: 'done' | 'failed' | 'cancelled') => {
    m?.outcome.set({ outcome: 'running' }, 0);
    m?.outcome.set({ outcome }, 1);
  };

  return definePlugin({
    name: 'metrics',
    settings: { host, port },
    async setup(ctx) {
      const registry = new Registry();
      m = instruments(registry);
      m.outcome.set({ outcome: 'running' }, 1);
      const server = await listen(registry, port, host);
      await ctx.defer('metrics endpoint', () => close(server));
      const { port: bound } = server.address() as AddressInfo;
      ctx.log.info(`metrics: http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`);
    },
    preflight(ctx) {
      const target = ctx.resolve(Tokens.Target);
      // known from inspection on (the table's stored name); a scrape before that has no table labels
      m?.registry.setDefaultLabels({ schema: target.schema, table: target.table });
    },
    progress(ctx, s) {
      if (!m) return;
      setPhase(s.phase);
      m.rowsCopied.set(s.rowsCopied);
      m.rowsEstimated.set(s.rowsEstimate);
      m.progress.set(s.lowWatermark === 'done' ? 1 : s.rowsEstimate > 0 ? Math.min(1, s.rowsCopied / s.rowsEstimate) : 0);
      m.replayEvents.set(s.replayedEvents);
      const replay = ctx.tryResolve(Tokens.Replay);
      if (replay) m.replayPending.set(replay.pending);
      if (s.binlog) {
        m.replayPosition.reset();
        m.replayPosition.set({ file: s.binlog.file }, s.binlog.position);
      }
      m.throttled.reset();
      m.throttled.set({ reason: s.throttled ?? '' }, s.throttled ? 1 : 0);
    },
    afterChunk(_ctx, chunk) {
      m?.chunkSeconds.observe(chunk.ms / 1000);
      m?.chunks.inc();
      m?.chunkRows.inc(chunk.rows);
    },
    afterCutover(_ctx, result) {
      m?.cutoverLock.set(result.lockMs / 1000);
      setPhase('cutover');
    },
    onSuccess(_ctx, result) {
      m?.rowsCopied.set(result.rowsCopied);
      setPhase('done');
      setOutcome('done');
    },
    onError: () => setOutcome('failed'),
    onCancel: () => setOutcome('cancelled'),
  });
}

function instruments(registry: Registry) {
  const registers = [registry];
  return {
    registry,
    rowsCopied: new Gauge({ name: 'sluice_rows_copied', help: 'Rows the copier wrote (earlier runs of a resumed migration included).', registers }),
    rowsEstimated: new Gauge({ name: 'sluice_rows_estimated', help: "The server's estimate of the table's rows.", registers }),
    progress: new Gauge({ name: 'sluice_copy_progress_ratio', help: 'Rows copied over rows estimated (1 once the copy is complete).', registers }),
    chunkSeconds: new Histogram({
      name: 'sluice_chunk_duration_seconds', help: 'Copy time of each chunk.', registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    }),
    chunks: new Counter({ name: 'sluice_chunks_copied_total', help: 'Chunks copied.', registers }),
    chunkRows: new Counter({ name: 'sluice_chunk_rows_total', help: 'Rows copied, chunk by chunk (this run).', registers }),
    replayEvents: new Gauge({ name: 'sluice_replay_events_total', help: 'Binlog row events received by replay.', registers }),
    replayPending: new Gauge({ name: 'sluice_replay_pending_keys', help: 'Changed keys waiting for the next replay flush.', registers }),
    replayPosition: new Gauge({ name: 'sluice_replay_applied_position', help: 'Binlog position replay has applied (label: file).', labelNames: ['file'], registers }),
    throttled: new Gauge({ name: 'sluice_throttled', help: '1 while the copier is paused (label: reason).', labelNames: ['reason'], registers }),
    cutoverLock: new Gauge({ name: 'sluice_cutover_lock_seconds', help: 'How long writes were blocked at cutover.', registers }),
    phase: new Gauge({ name: 'sluice_phase', help: '1 for the current phase.', labelNames: ['phase'], registers }),
    outcome: new Gauge({ name: 'sluice_outcome', help: '1 for running, done, failed or cancelled.', labelNames: ['outcome'], registers }),
  };
}

function listen(registry: Registry, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new MetricsServerError(
      `cannot serve metrics on ${host}:${port} (${err.code ?? err.message}): choose another --metrics-port`, { cause: err })));
    server.listen(port, host, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export default metricsPlugin;
