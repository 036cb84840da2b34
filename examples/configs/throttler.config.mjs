// @ts-check
// A JavaScript config: plugins are objects, built with their options. Run it with
//   migrate --config examples/configs/throttler.config.mjs --host … --statement "ALTER TABLE …"
import { metricsThrottler } from '../metrics-throttler.mjs';

/** @type {import('sluice').SluiceConfig} */
export default {
  plugins: [
    metricsThrottler({
      url: process.env.SLUICE_METRICS_URL ?? 'http://127.0.0.1:9090/db/overloaded',
      interval: process.env.SLUICE_METRICS_INTERVAL ?? '200ms',
      maxPause: process.env.SLUICE_METRICS_MAX_PAUSE ?? '15m',
    }),
  ],
};
