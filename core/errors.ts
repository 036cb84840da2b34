/**
 * Every error Sluice raises on purpose is a subclass of SluiceError, exported from mod.ts,
 * so callers can branch with `instanceof`. Messages are one line: what is wrong, then what to do.
 */
export class SluiceError extends Error {
  /** Stable machine-readable code, e.g. "LOCK_HELD". */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The run was aborted (cancel(), dispose, a signal). Never a fatal error: no state is dropped. */
export class MigrationCancelledError extends SluiceError {
  constructor(reason?: unknown, options?: { cause?: unknown }) {
    const why = reason instanceof Error ? reason.message : reason === undefined ? 'cancelled' : String(reason);
    super('CANCELLED', `migration cancelled (${why}); its checkpoint is kept: run it again to resume`, options);
  }
}

/** Disposing resources failed. `errors` holds every disposer's error; `runError` the run's own, if any. */
export class DisposeError extends SluiceError {
  readonly errors: unknown[];
  readonly runError: unknown;
  constructor(errors: unknown[], runError?: unknown) {
    const first = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    super('DISPOSE_FAILED', `${errors.length} resource(s) failed to close: ${first}`, { cause: runError });
    this.errors = errors;
    this.runError = runError;
  }
}

/** run() was called twice, or after dispose. */
export class MigrationStateError extends SluiceError {
  constructor(message: string) {
    super('INVALID_STATE', message);
  }
}

/** The options or the statement are not usable; nothing was changed on the server. */
export class InvalidOptionError extends SluiceError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/** A plugin is malformed (no name, unknown hook, duplicate name). */
export class PluginError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLUGIN', message, options);
  }
}

export function isCancellation(err: unknown): err is MigrationCancelledError {
  return err instanceof MigrationCancelledError;
}
