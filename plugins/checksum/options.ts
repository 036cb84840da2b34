/** The checksum plugin's options, their defaults and their validation. */
import { parseDuration } from '../../plugin-api.ts';
import { ChecksumOptionError } from './errors.ts';

export interface ChecksumPluginOptions {
  /** Verify the shadow table before cutover (default true; the CLI's --no-checksum sets false). */
  enabled?: boolean;
  /** Snapshot connections comparing chunks in parallel (default: the migration's `threads`). */
  threads?: number;
  /** Rows per compared chunk (default 10000). */
  rowsPerChunk?: number;
  /** Verification passes before giving up with ChecksumMismatchError (default 3). */
  maxPasses?: number;
  /** Retake the snapshots when they get older than this, to bound undo growth (ms or '10m'; default 10 min). */
  snapshotMaxAge?: number | string;
}

export interface ResolvedChecksumOptions {
  enabled: boolean;
  threads: number | undefined;
  rowsPerChunk: number;
  maxPasses: number;
  snapshotMaxAgeMs: number;
}

export const DEFAULTS = { rowsPerChunk: 10_000, maxPasses: 3, snapshotMaxAgeMs: 10 * 60_000 } as const;

function wholeNumber(name: string, value: unknown, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ChecksumOptionError(`checksum ${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}: fix the checksum plugin's ${name}`);
  }
  return value;
}

export function resolveChecksumOptions(options: ChecksumPluginOptions = {}): ResolvedChecksumOptions {
  if (options === null || typeof options !== 'object') {
    throw new ChecksumOptionError(`checksum options must be an object, got ${JSON.stringify(options)}: pass e.g. { maxPasses: 3 }`);
  }
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    throw new ChecksumOptionError(`checksum enabled must be true or false, got ${JSON.stringify(options.enabled)}: fix the checksum plugin's enabled`);
  }
  let snapshotMaxAgeMs: number = DEFAULTS.snapshotMaxAgeMs;
  if (options.snapshotMaxAge !== undefined) {
    const ms = parseDuration(options.snapshotMaxAge);
    if (ms === undefined || ms < 1) {
      throw new ChecksumOptionError(`checksum snapshotMaxAge must be a duration such as 600000, '30s' or '10m', got ${JSON.stringify(options.snapshotMaxAge)}: fix it`);
    }
    snapshotMaxAgeMs = ms;
  }
  return {
    enabled: options.enabled ?? true,
    threads: wholeNumber('threads', options.threads, 64),
    rowsPerChunk: wholeNumber('rowsPerChunk', options.rowsPerChunk, 10_000_000) ?? DEFAULTS.rowsPerChunk,
    maxPasses: wholeNumber('maxPasses', options.maxPasses, 100) ?? DEFAULTS.maxPasses,
    snapshotMaxAgeMs,
  };
}
