/** Errors of the control endpoint and the control API (core/control/README.md). */
import { SluiceError } from '../errors.ts';

/** A control command or value that cannot be used (`threads=abc`, `chunk-time=0`): nothing was changed. */
export class ControlValueError extends SluiceError {
  constructor(message: string) {
    super('CONTROL_VALUE', message);
  }
}

/** A control command that does not exist, or a setting no plugin provides (the throttler disabled). */
export class ControlCommandError extends SluiceError {
  constructor(message: string) {
    super('CONTROL_COMMAND', message);
  }
}

/** A live control endpoint is already at the path (another migration listens there); nothing was created. */
export class ControlSocketInUseError extends SluiceError {
  constructor(path: string) {
    super('CONTROL_SOCKET_IN_USE', `another process is listening on the control socket ${path} (a migration of the same table?): stop it, or pass --control-socket with another path`);
  }
}

/** The control endpoint could not be opened (a path that is not a socket, a port in use, no permission). */
export class ControlEndpointError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONTROL_ENDPOINT', message, options);
  }
}
