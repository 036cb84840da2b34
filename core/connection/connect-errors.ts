/** A connection the server or the network refused, as one line that says what to check. */
import { SluiceError } from '../errors.ts';
import { CONNECTION_DEFAULTS, type ConnectionOptions } from './connection.ts';

/** Could not connect or log in: nothing was changed. `reason` is the driver's code. */
export class ConnectFailedError extends SluiceError {
  readonly reason: string;
  constructor(message: string, reason: string, options?: { cause?: unknown }) {
    super('CONNECT_FAILED', message, options);
    this.reason = reason;
  }
}

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'connection refused — is the server running, is --port right?',
  ENOTFOUND: 'host not found — check --host',
  EAI_AGAIN: 'host name lookup failed — check --host and DNS',
  ETIMEDOUT: 'timed out — check --host, --port and the network (a firewall?)',
  EHOSTUNREACH: 'host unreachable — check --host and the network',
  ECONNRESET: 'the server closed the connection — check --port (is it a MySQL/MariaDB port?) and the server log',
  ENOENT: 'no such socket file — check --socket',
  EACCES: 'permission denied on the socket file — check --socket and its permissions',
  ER_ACCESS_DENIED_ERROR: 'access denied — check --user and the password (MYSQL_PWD, --ask-pass, --defaults-file)',
  ER_DBACCESS_DENIED_ERROR: 'access to the database denied — check --database and the user\'s grants',
  ER_HOST_NOT_PRIVILEGED: 'this client host may not connect — check the user\'s host in its grants',
  HANDSHAKE_NO_SSL_SUPPORT: 'the server does not offer TLS — drop --ssl-mode or enable TLS on the server',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server\'s certificate is self-signed — pass its CA with --ssl-ca, or --ssl-mode REQUIRED',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server\'s certificate chain is not trusted — pass the right CA with --ssl-ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server\'s certificate is not signed by --ssl-ca — pass the right CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server\'s certificate does not name this host — use the host it names, or --ssl-mode VERIFY_CA',
  HANDSHAKE_SSL_ERROR: 'the TLS handshake failed — check --ssl-ca, --ssl-cert, --ssl-key and --ssl-mode',
};

/** mysql2 reports every TLS verification failure as HANDSHAKE_SSL_ERROR; the message says which. */
function tlsReason(code: string, message: string): string {
  if (code !== 'HANDSHAKE_SSL_ERROR') return code;
  if (/altnames|does not match certificate/i.test(message)) return 'ERR_TLS_CERT_ALTNAME_INVALID';
  if (/self[- ]signed certificate in certificate chain/i.test(message)) return 'SELF_SIGNED_CERT_IN_CHAIN';
  if (/self[- ]signed/i.test(message)) return 'DEPTH_ZERO_SELF_SIGNED_CERT';
  if (/unable to verify/i.test(message)) return 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
  return code;
}

/** The typed error for a failed connect, or undefined when `err` is not a connection failure. */
export function connectFailure(err: unknown, conn: ConnectionOptions): ConnectFailedError | undefined {
  const raw = (err as { code?: string } | null)?.code;
  const code = raw ? tlsReason(raw, String((err as Error).message)) : undefined;
  if (!code || !(code in HINTS)) return undefined;
  const where = conn.socketPath
    ? `socket ${conn.socketPath}`
    : `${conn.host ?? CONNECTION_DEFAULTS.host}:${conn.port ?? CONNECTION_DEFAULTS.port}`;
  const who = code.startsWith('ER_') ? ` as ${conn.user}` : '';
  return new ConnectFailedError(`cannot connect to ${where}${who}: ${HINTS[code]}`, code, { cause: err });
}
