import { SluiceError } from '../errors.ts';

/**
 * The statement is not one usable ALTER TABLE: empty, several statements, another statement,
 * unbalanced quotes or parentheses, or (subclasses) rejected by the server. Nothing was changed.
 */
export class InvalidStatementError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'INVALID_STATEMENT', message, options);
  }
}
