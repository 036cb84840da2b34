/** Errors of core/connection (see README.md). Every message is one line. */
import { SluiceError } from '../errors.ts';

/** After an abort, a query did not return within the grace period: its connection was closed under it. */
export class QueryAbandonedError extends SluiceError {
  constructor(threadId: number | null, graceMs: number) {
    super('QUERY_ABANDONED', `a query on connection ${threadId ?? '?'} had not returned ${Math.round(graceMs / 1000)} s after the migration was cancelled: its connection was closed so that the run could stop; run the migration again to resume`);
  }
}

/** The server could not be reached again within the reconnect bound. */
export class ServerUnreachableError extends SluiceError {
  constructor(where: string, seconds: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message.split('\n')[0]}` : '';
    super('SERVER_UNREACHABLE', `the server ${where} did not answer for ${seconds} s${why}; the checkpoint is kept: run the migration again to resume once the server is back`, options);
  }
}
