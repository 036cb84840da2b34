/**
 * The checksum plugin: before cutover, compares the shadow table with the source chunk by chunk
 * on consistent snapshots, re-copies what differs, and refuses to cut over when it keeps differing.
 */
import { definePlugin, formatDuration } from '../../plugin-api.ts';
import type { SluicePlugin } from '../../plugin-api.ts';
import { resolveChecksumOptions, type ChecksumPluginOptions } from './options.ts';
import { verifyShadow } from './verify.ts';

export type { ChecksumPluginOptions } from './options.ts';
export { DEFAULTS as CHECKSUM_DEFAULTS } from './options.ts';
export { ChecksumCatchUpError, ChecksumLockError, ChecksumMismatchError, ChecksumOptionError, ChecksumSetupError } from './errors.ts';

export function checksumPlugin(options: ChecksumPluginOptions = {}): SluicePlugin {
  const resolved = resolveChecksumOptions(options);
  return definePlugin({
    name: 'checksum',
    settings: resolved.enabled
      ? {
        enabled: true, ...(resolved.threads !== undefined ? { threads: resolved.threads } : {}), rowsPerChunk: resolved.rowsPerChunk,
        maxPasses: resolved.maxPasses, snapshotMaxAge: formatDuration(resolved.snapshotMaxAgeMs),
      }
      : { enabled: false },
    async verify(ctx) {
      if (!resolved.enabled) {
        ctx.log.warn('checksum disabled: the shadow table is cut over without verifying it against the source (remove --no-checksum to verify)');
        return;
      }
      await verifyShadow(ctx, resolved);
    },
  });
}
