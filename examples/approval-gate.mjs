// @ts-check
/**
 * An approval gate: holds the cutover (in `beforeCutover`, replay still running, so the shadow
 * table stays current) until someone approves it, by any of:
 *  - a file:  `file: '/var/run/sluice/approve-orders'` exists;
 *  - a row:   `query: 'SELECT COUNT(*) FROM ops.approvals WHERE schema_name = ? AND table_name = ?'`
 *             returns a non-zero first column (run on the migration's pool; the `?` are, in order,
 *             the schema, the table and the statement);
 *  - an HTTP approval: `url: 'https://deploy.internal/approvals/orders'` answers 2xx with JSON
 *             `{ "approved": true }`.
 * Without an approval within `timeout`, the run is cancelled, cleanly: the gate throws
 * MigrationCancelledError, so every plugin sees `onCancel` (never `onError`), the checkpoint and the
 * shadow table are kept, the original table is untouched, and the CLI exits 130. Approve, run the
 * same command again, and it resumes (nothing is copied again) and cuts over.
 *
 * By module path (JSON/YAML configs) the factory reads SLUICE_APPROVAL_FILE, SLUICE_APPROVAL_QUERY,
 * SLUICE_APPROVAL_URL, SLUICE_APPROVAL_TIMEOUT and SLUICE_APPROVAL_INTERVAL.
 */
import { existsSync } from 'node:fs';
import {
  definePlugin, durationOption, formatDuration, InvalidOptionError, MigrationCancelledError, sleep, Tokens,
} from 'sluice';

/**
 * @typedef {object} ApprovalGateOptions
 * @property {string} [file]  Approved once this file exists.
 * @property {string} [query]  Approved once this query's first column is non-zero.
 * @property {string} [url]  Approved once a GET answers 2xx with JSON { "approved": true }.
 * @property {number | string} [timeout]  How long to wait for an approval before cancelling (default 1h).
 * @property {number | string} [interval]  How often to look (default 5s).
 */

/**
 * @param {import('sluice').PluginContext} ctx
 * @param {{ file?: string, query?: string, url?: string }} sources
 * @param {number} requestTimeoutMs
 * @returns {Promise<string | undefined>} what approved it, or undefined
 */
async function approvedBy(ctx, sources, requestTimeoutMs) {
  if (sources.file && existsSync(sources.file)) return `the file ${sources.file}`;
  if (sources.query) {
    const { schema, table, statement } = ctx.resolve(Tokens.Target);
    const [rows] = await ctx.resolve(Tokens.Pool).query({ sql: sources.query, rowsAsArray: true, timeout: requestTimeoutMs }, [schema, table, statement]);
    const first = /** @type {unknown[][]} */ (rows)[0]?.[0];
    if (first !== undefined && first !== null && Number(first) !== 0 && first !== '0') return 'the approval query';
  }
  if (sources.url) {
    try {
      const res = await fetch(sources.url, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(requestTimeoutMs)]) });
      const body = /** @type {{ approved?: unknown } | undefined} */ (res.ok ? await res.json() : undefined);
      if (body?.approved === true) return `the approval at ${sources.url}`;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      ctx.log.debug(`approval-gate: ${sources.url} did not answer (${err instanceof Error ? err.message : err}); still waiting`);
    }
  }
  return undefined;
}

/** @param {ApprovalGateOptions} [options] */
export function approvalGate(options = {}) {
  const env = process.env;
  const sources = {
    file: options.file ?? env.SLUICE_APPROVAL_FILE,
    query: options.query ?? env.SLUICE_APPROVAL_QUERY,
    url: options.url ?? env.SLUICE_APPROVAL_URL,
  };
  if (!sources.file && !sources.query && !sources.url) {
    throw new InvalidOptionError('approval-gate needs file, query or url: pass approvalGate({ file: "…" }) or set SLUICE_APPROVAL_FILE');
  }
  /** @param {string} m */
  const fail = (m) => new InvalidOptionError(`approval-gate: ${m}`);
  const timeoutMs = durationOption('timeout', options.timeout ?? env.SLUICE_APPROVAL_TIMEOUT, 3_600_000, fail);
  const intervalMs = durationOption('interval', options.interval ?? env.SLUICE_APPROVAL_INTERVAL, 5000, fail);
  const requestTimeoutMs = Math.min(intervalMs, 5000);

  return definePlugin({
    name: 'approval-gate',
    async beforeCutover(ctx) {
      const deadline = Date.now() + timeoutMs;
      let told = false;
      for (;;) {
        const by = await approvedBy(ctx, sources, requestTimeoutMs);
        if (by) {
          ctx.log.info(`approval-gate: cutover approved by ${by}`);
          return;
        }
        if (Date.now() >= deadline) {
          // A veto that keeps everything: a cancellation, not a failure.
          throw new MigrationCancelledError(`approval-gate: no approval within ${formatDuration(timeoutMs)}`);
        }
        if (!told) ctx.log.info(`approval-gate: holding the cutover until it is approved (waiting up to ${formatDuration(timeoutMs)})`);
        told = true;
        await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())), ctx.signal);
      }
    },
  });
}

export default approvalGate;
