// @ts-check
/**
 * A metrics throttler: before each chunk, asks your metrics endpoint whether the database is
 * overloaded and pauses the copy while it says so. Replay never waits on it (it acts only in
 * `beforeChunk`), so the shadow table keeps up with the application's writes during a pause.
 *
 * The endpoint answers `GET <url>` with JSON `{ "overloaded": true|false, "reason"?: "…" }`.
 * Fails closed: an endpoint that is down, slow, answers non-2xx or something that is not that
 * JSON counts as "overloaded", so the copy pauses. Bounded: after `maxPause` of one continuous
 * pause the run stops with MetricsPauseTooLongError (a failure: exit 1, the checkpoint is kept,
 * so run it again to resume once the metrics are back).
 *
 *   // migrate.config.mjs
 *   import { metricsThrottler } from './metrics-throttler.mjs';
 *   export default { plugins: [metricsThrottler({ url: 'http://metrics.internal/db/overloaded' })] };
 *
 * By module path (JSON/YAML configs) the factory is called without options and reads
 * SLUICE_METRICS_URL, SLUICE_METRICS_INTERVAL, SLUICE_METRICS_MAX_PAUSE.
 */
import {
  definePlugin, durationOption, formatDuration, InvalidOptionError, sleep, SluiceError, token, Tokens,
} from 'sluice';

/**
 * @typedef {object} MetricsThrottlerOptions
 * @property {string} url  The endpoint to poll (GET, JSON `{ overloaded, reason? }`).
 * @property {number | string} [interval]  Least time between two checks, and the poll period while paused (default 1s).
 * @property {number | string} [requestTimeout]  Longest wait for one answer; a slower one counts as overloaded (default 2s).
 * @property {number | string} [maxPause]  Longest continuous pause before the run stops with MetricsPauseTooLongError (default 15m).
 */

/** The copy stayed paused longer than `maxPause`: a failure (exit 1); the checkpoint is kept. */
export class MetricsPauseTooLongError extends SluiceError {
  /** @param {string} message */
  constructor(message) {
    super('METRICS_PAUSE_TOO_LONG', message);
  }
}

/**
 * One check: what the endpoint says, with every failure mapped to "overloaded" (fail closed).
 * @param {string} url
 * @param {number} timeoutMs
 * @param {AbortSignal} signal
 * @returns {Promise<{ overloaded: boolean, reason: string }>}
 */
export async function readMetrics(url, timeoutMs, signal) {
  /** @type {{ overloaded?: unknown, reason?: unknown } | null | undefined} */
  let body;
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    if (!res.ok) return { overloaded: true, reason: `metrics endpoint answered HTTP ${res.status}` };
    body = /** @type {typeof body} */ (await res.json());
  } catch (err) {
    if (signal.aborted) throw err; // a cancelled run: never swallow the abort
    return { overloaded: true, reason: `metrics endpoint unreachable (${err instanceof Error ? err.message : err})` };
  }
  if (!body || typeof body.overloaded !== 'boolean') return { overloaded: true, reason: 'metrics endpoint answered without a boolean "overloaded"' };
  return { overloaded: body.overloaded, reason: typeof body.reason === 'string' ? body.reason : 'the metrics say overloaded' };
}

/** @param {Partial<MetricsThrottlerOptions>} [options] */
export function metricsThrottler(options = {}) {
  const env = process.env;
  const url = options.url ?? env.SLUICE_METRICS_URL;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new InvalidOptionError('metrics-throttler needs url: pass metricsThrottler({ url: "http://…" }) or set SLUICE_METRICS_URL');
  }
  /** @param {string} m */
  const fail = (m) => new InvalidOptionError(`metrics-throttler: ${m}`);
  const intervalMs = durationOption('interval', options.interval ?? env.SLUICE_METRICS_INTERVAL, 1000, fail);
  const requestTimeoutMs = durationOption('requestTimeout', options.requestTimeout, 2000, fail);
  const maxPauseMs = durationOption('maxPause', options.maxPause ?? env.SLUICE_METRICS_MAX_PAUSE, 15 * 60_000, fail);

  /**
   * Per-migration state, in the migration's container (never a module global): one plugin
   * object may serve several migrations.
   * @type {import('sluice').Token<{ clearUntil: number, waiting: Promise<void> | undefined }>}
   */
  const State = token('metrics-throttler:state');

  /** @param {import('sluice').PluginContext} ctx */
  const waitUntilClear = async (ctx) => {
    const status = ctx.tryResolve(Tokens.Status);
    let pausedSince;
    for (;;) {
      const m = await readMetrics(url, requestTimeoutMs, ctx.signal);
      if (!m.overloaded) {
        if (pausedSince !== undefined) {
          ctx.log.info(`metrics-throttler: resuming the copy after ${formatDuration(Date.now() - pausedSince)}`);
          status?.setThrottled(undefined);
        }
        return;
      }
      if (pausedSince === undefined) {
        pausedSince = Date.now();
        ctx.log.info(`metrics-throttler: pausing the copy (replay continues): ${m.reason}`);
      }
      status?.setThrottled(`metrics: ${m.reason}`);
      if (Date.now() - pausedSince >= maxPauseMs) {
        throw new MetricsPauseTooLongError(
          `metrics-throttler: the copy was paused ${formatDuration(Date.now() - pausedSince)} (maxPause ${formatDuration(maxPauseMs)}): ${m.reason}; ` +
          'the checkpoint is kept: run the migration again to resume',
        );
      }
      await sleep(intervalMs, ctx.signal); // rejects at once on cancel: Ctrl-C works while paused
    }
  };

  return definePlugin({
    name: 'metrics-throttler',
    setup(ctx) {
      ctx.provide(State, { clearUntil: 0, waiting: undefined });
    },
    async beforeChunk(ctx) {
      const s = ctx.resolve(State);
      if (Date.now() < s.clearUntil) return;
      // Every copy worker calls beforeChunk: they share one wait (one poll at a time).
      s.waiting ??= waitUntilClear(ctx).then(
        () => { s.clearUntil = Date.now() + intervalMs; },
      ).finally(() => { s.waiting = undefined; });
      await s.waiting;
    },
  });
}

export default metricsThrottler;
