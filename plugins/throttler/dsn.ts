/**
 * `mysql://user:pass@host:port` DSNs for replicas and custom throttle connections. Never echoes the password.
 * TLS: a DSN takes the main connection's settings (--ssl-mode, --ssl-ca, … apply to replicas too),
 * and its own `?ssl-mode=…&ssl-ca=PATH&ssl-cert=PATH&ssl-key=PATH` override them one by one
 * (`?ssl-mode=DISABLED` for a replica without TLS).
 */
import type { ConnectionOptions, TlsMode, TlsOptions } from '../../plugin-api.ts';
import { ThrottlerOptionError } from './errors.ts';

export interface ServerAddress {
  readonly connection: ConnectionOptions;
  /** user@host:port: how the server is named in reasons and logs. */
  readonly label: string;
}

/** The DSN with its password masked, for messages. */
export function maskDsn(dsn: string): string {
  return dsn.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** Why a DSN is unusable: names the option and the fix, never any part of the value (it may hold a password). */
function notADsn(option: string, problem: string): ThrottlerOptionError {
  return new ThrottlerOptionError(`${option} ${problem} (the value is not shown: it may hold a password): write it as mysql://user:password@host:port`);
}

/** DSN parameters, as the mysql client's options, and the TlsOptions field each sets. */
const TLS_PARAMS: Readonly<Record<string, keyof TlsOptions>> = { 'ssl-mode': 'mode', 'ssl-ca': 'ca', 'ssl-cert': 'cert', 'ssl-key': 'key' };

/** `inherited`: the main connection's TLS settings, which the DSN's own parameters override. */
export function parseDsn(dsn: string, option: string, inherited?: TlsOptions): ServerAddress {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw notADsn(option, 'is not a DSN');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') throw notADsn(option, 'does not start with mysql://');
  if (!url.host) throw notADsn(option, 'names no host');
  const user = decodeURIComponent(url.username);
  if (!user) throw notADsn(option, 'names no user');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 3306;
  const database = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const ssl: Record<string, string> = { ...inherited };
  for (const [name, value] of url.searchParams) {
    const field = TLS_PARAMS[name.toLowerCase()];
    if (!field) {
      throw new ThrottlerOptionError(`${option} has an unknown parameter "${name.slice(0, 40)}": a DSN takes ${Object.keys(TLS_PARAMS).join(', ')} (e.g. mysql://user@host:port?ssl-mode=VERIFY_CA&ssl-ca=/path/ca.pem)`);
    }
    ssl[field] = field === 'mode' ? value.toUpperCase() : value;
  }
  const tls = Object.keys(ssl).length > 0 ? { ssl: ssl as TlsOptions & { mode?: TlsMode } } : {};
  return {
    connection: { host, port, user, ...(password !== undefined ? { password } : {}), ...(database ? { database } : {}), ...tls },
    label: `${user}@${host}:${port}`,
  };
}
