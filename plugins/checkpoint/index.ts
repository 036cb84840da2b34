/**
 * The checkpoint plugin: saves progress to `_<table>_chkpnt` and resumes an interrupted migration
 * of the same statement on the same table. See README.md.
 *
 *   createMigration({ connection, statement, plugins: [checkpointPlugin({ strict: true, interval: '30s' })] })
 */
import { durationOption, type SluicePlugin } from '../../plugin-api.ts';
import { CheckpointOptionError } from './errors.ts';
import { createCheckpointPlugin } from './plugin.ts';

export interface CheckpointPluginOptions {
  /**
   * When the checkpoint cannot be used (missing, another statement, too old, binlog purged,
   * unreadable), fail with a typed error instead of warning and starting fresh (default false).
   */
  strict?: boolean;
  /** Least time between two checkpoint writes within a phase: ms, or '5s', '2m'… (default 50 s). */
  interval?: number | string;
  /** Oldest checkpoint (by its last write) a run resumes from: ms, or '168h'… (default 168 h). */
  maxAge?: number | string;
}

export const DEFAULT_INTERVAL = '50s';
export const DEFAULT_MAX_AGE = '168h';

const fail = (message: string) => new CheckpointOptionError(message);

export function checkpointPlugin(options: CheckpointPluginOptions = {}): SluicePlugin {
  if (options === null || typeof options !== 'object') throw new CheckpointOptionError('checkpointPlugin takes an options object, e.g. { strict: true }');
  if (options.strict !== undefined && typeof options.strict !== 'boolean') {
    throw new CheckpointOptionError(`checkpoint option strict must be true or false, got ${JSON.stringify(options.strict)}: fix --strict`);
  }
  return createCheckpointPlugin({
    strict: options.strict ?? false,
    intervalMs: durationOption('checkpoint interval (--checkpoint-interval)', options.interval ?? DEFAULT_INTERVAL, 0, fail, 0),
    maxAgeMs: durationOption('checkpoint maxAge (--checkpoint-max-age)', options.maxAge ?? DEFAULT_MAX_AGE, 0, fail, 1),
  });
}

export default checkpointPlugin;

export * from './errors.ts';
