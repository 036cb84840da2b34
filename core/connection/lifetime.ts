/**
 * What keeps a Sluice connection alive and every statement bounded (see README.md): the session
 * statements that outlast the server's idle timeout and cap a statement's run time, and how to
 * tell a lost connection (worth reconnecting) from any other error.
 */
import { ServerUnreachableError } from './errors.ts';

/** A Sluice session may idle this long (at least; a server setting above it is kept): 8 h. */
export const SESSION_IDLE_SECONDS = 28_800;

/**
 * No single statement Sluice issues runs longer than this on the server (MariaDB
 * `max_statement_time`, all statements; MySQL `max_execution_time`, SELECTs). Every statement is
 * chunked or waits on a bounded lock, so this is a backstop, not a schedule: 1 h.
 */
export const STATEMENT_MAX_SECONDS = 3_600;

/** The TCP keepalive of every socket starts probing after this much silence. */
export const KEEPALIVE_DELAY_MS = 10_000;

export interface LifetimeStatement {
  readonly sql: string;
  /** The variable exists on one flavor only: a failure is ignored. */
  readonly optional?: boolean;
}

const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

/**
 * Run on every connection Sluice opens, after the session settings: survive the server's
 * `wait_timeout` (a deferred cutover waits for hours) and bound every statement.
 */
export function lifetimeStatements(): LifetimeStatement[] {
  return [
    { sql: `SET SESSION wait_timeout = GREATEST(@@GLOBAL.wait_timeout, ${SESSION_IDLE_SECONDS})` },
    { sql: `SET SESSION max_statement_time = ${STATEMENT_MAX_SECONDS}`, optional: true },
    { sql: `SET SESSION max_execution_time = ${STATEMENT_MAX_SECONDS * 1000}`, optional: true },
  ];
}

/** True when a failed lifetime statement may be ignored (the variable is the other flavor's). */
export function ignorable(statement: LifetimeStatement, err: unknown): boolean {
  return statement.optional === true && (err as { errno?: unknown } | null)?.errno === ER_UNKNOWN_SYSTEM_VARIABLE;
}

const LOST_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_SOCKET_CLOSED',
]);
/** Server shutdown, connection killed, gone away, lost during query, idle disconnect (MySQL 8), too many connections. */
const LOST_ERRNOS = new Set([1040, 1053, 1152, 1927, 2006, 2013, 4031]);
const LOST_MESSAGES = /closed state|connection lost|server closed the connection|no heartbeat/i;

/**
 * True when `err` (or an error in its `cause` chain) says the connection to the server was lost:
 * the work can be retried on a new connection once the server answers again. Never after a
 * ServerUnreachableError in the chain: that wait is over.
 */
export function isConnectionLoss(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ServerUnreachableError) return false; // the wait for the server already gave up
    const { code, errno, message } = e as { code?: unknown; errno?: unknown; message?: unknown };
    if (typeof code === 'string' && LOST_CODES.has(code)) return true;
    if (typeof errno === 'number' && LOST_ERRNOS.has(errno)) return true;
    if (typeof message === 'string' && LOST_MESSAGES.test(message)) return true;
  }
  return false;
}
