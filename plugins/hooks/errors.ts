import { SluiceError } from '../../plugin-api.ts';

/** A hook exited non-zero or timed out; its (last) output is in the message. */
export class HookFailedError extends SluiceError {
  constructor(message: string) {
    super('HOOK_FAILED', message);
  }
}

export class HooksOptionError extends SluiceError {
  constructor(message: string) {
    super('HOOKS_OPTION', message);
  }
}
