/** Errors the benchmark raises on purpose: one line each, naming the problem and the fix. */
import { SluiceError } from '../core/errors.ts';

/** A flag is missing or malformed. */
export class BenchArgsError extends SluiceError {
  constructor(message: string) {
    super('BENCH_ARGS', `${message}: see bench/README.md for the flags`);
  }
}

/** Something the benchmark needs on this machine is missing or could not be set up. */
export class BenchSetupError extends SluiceError {
  constructor(message: string) {
    super('BENCH_SETUP', message);
  }
}

/** A measured tool failed or timed out; the run is recorded as failed and the benchmark goes on. */
export class BenchToolError extends SluiceError {
  constructor(tool: string, message: string) {
    super('BENCH_TOOL_FAILED', `${tool}: ${message}`);
  }
}
