// @ts-check
/**
 * A webhook notifier: posts the migration's phase changes, its final summary and its failures as
 * JSON to a webhook (Slack/Teams relay, an incident bot, your own service). It never fails the
 * migration: every post is bounded by `timeout`, and a webhook that is down, slow or answers an
 * error is a warning in the log, nothing more.
 *
 * Each post is `POST <url>` with `content-type: application/json` and a body
 *   { "migration": "shop.orders", "statement": "ALTER TABLE …", "event": "phase" | "done" | "failed" | "cancelled", … }
 * - phase:     { "phase": "preflight" | "copy" | "copied" | "verify" | "cutover" | "swapped" }
 * - done:      { "result": MigrationResult }   (rows copied, lock time, duration, resumed)
 * - failed:    { "error": "…", "code": "…" }
 * - cancelled: { "reason": "…" }                (not a failure: the checkpoint is kept)
 *
 *   // .migraterc.json (by module path: the factory reads SLUICE_WEBHOOK_URL, SLUICE_WEBHOOK_TIMEOUT)
 *   { "plugins": ["./webhook-notifier.mjs"] }
 */
import {
  definePlugin, durationOption, InvalidOptionError, isCancellation, redactText, SluiceError, token, Tokens,
} from 'sluice';

/**
 * @typedef {object} NotifierOptions
 * @property {string} url  The webhook (http or https).
 * @property {number | string} [timeout]  Longest time one post may take (default 3s); then it is given up with a warning.
 * @property {Record<string, string>} [headers]  Extra request headers (e.g. an authorization token).
 */

/** @param {Partial<NotifierOptions>} [options] */
export function webhookNotifier(options = {}) {
  const url = options.url ?? process.env.SLUICE_WEBHOOK_URL;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
    throw new InvalidOptionError('webhook-notifier needs url: pass webhookNotifier({ url: "https://…" }) or set SLUICE_WEBHOOK_URL');
  }
  const timeoutMs = durationOption('timeout', options.timeout ?? process.env.SLUICE_WEBHOOK_TIMEOUT, 3000,
    (m) => new InvalidOptionError(`webhook-notifier: ${m}`));
  const headers = { 'content-type': 'application/json', ...options.headers };
  /** @type {import('sluice').Token<{ lastPhase?: string }>} */
  const State = token('webhook-notifier:state');

  /**
   * Posts one message; never throws. Bounded by its own timeout only, not by the run's signal:
   * the final "cancelled" message is sent while the run's signal is already aborted.
   * @param {import('sluice').PluginContext} ctx
   * @param {Record<string, unknown>} body
   */
  const post = async (ctx, body) => {
    const target = ctx.tryResolve(Tokens.Target);
    const message = { migration: target ? `${target.schema}.${target.table}` : undefined, statement: target?.statement, at: new Date().toISOString(), ...body };
    // Never post a password, even inside an error message.
    const password = ctx.tryResolve(Tokens.Connection)?.password;
    const json = redactText(JSON.stringify(message), password ? [password] : []);
    try {
      const res = await fetch(url, { method: 'POST', headers, body: json, signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      if (!res.ok) ctx.log.warn(`webhook-notifier: the webhook answered HTTP ${res.status} (the migration goes on)`);
    } catch (err) {
      ctx.log.warn(`webhook-notifier: could not post "${String(body.event)}" (${err instanceof Error ? err.message : err}); the migration goes on`);
    }
  };

  /** @param {import('sluice').PluginContext} ctx @param {string} phase */
  const phase = async (ctx, phase) => {
    const s = ctx.tryResolve(State) ?? {};
    ctx.provide(State, s);
    if (s.lastPhase === phase) return;
    s.lastPhase = phase;
    await post(ctx, { event: 'phase', phase });
  };

  return definePlugin({
    name: 'webhook-notifier',
    preflight: (ctx) => phase(ctx, 'preflight'),
    beforeCopy: (ctx) => phase(ctx, 'copy'),
    afterCopy: (ctx) => phase(ctx, 'copied'),
    verify: (ctx) => phase(ctx, 'verify'),
    beforeCutover: (ctx) => phase(ctx, 'cutover'),
    afterCutover: (ctx) => phase(ctx, 'swapped'),
    onSuccess: (ctx, result) => post(ctx, { event: 'done', result }),
    onError: (ctx, error) => post(ctx, {
      event: 'failed',
      error: error instanceof Error ? error.message : String(error),
      code: error instanceof SluiceError ? error.code : undefined,
    }),
    // A cancellation is not a failure: say so, and say the checkpoint is kept.
    onCancel: (ctx, reason) => post(ctx, { event: 'cancelled', reason: isCancellation(reason) ? reason.message : String(reason) }),
  });
}

export default webhookNotifier;
