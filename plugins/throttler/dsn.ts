/** `mysql://user:pass@host:port` DSNs for replicas and custom throttle connections. Never echoes the password. */
import type { ConnectionOptions } from '../../plugin-api.ts';
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

export function parseDsn(dsn: string, option: string): ServerAddress {
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
  return {
    connection: { host, port, user, ...(password !== undefined ? { password } : {}), ...(database ? { database } : {}) },
    label: `${user}@${host}:${port}`,
  };
}
