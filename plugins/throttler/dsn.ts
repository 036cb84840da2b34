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

export function parseDsn(dsn: string, option: string): ServerAddress {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new ThrottlerOptionError(`${option} is not a DSN (not shown: it may hold a password): write it as mysql://user:password@host:port`);
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ThrottlerOptionError(`${option}: ${JSON.stringify(maskDsn(dsn))} must start with mysql:// (mysql://user:password@host:port)`);
  }
  const user = decodeURIComponent(url.username);
  if (!user) throw new ThrottlerOptionError(`${option}: ${JSON.stringify(maskDsn(dsn))} names no user: write it as mysql://user:password@host:port`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 3306;
  const database = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  return {
    connection: { host, port, user, ...(password !== undefined ? { password } : {}), ...(database ? { database } : {}) },
    label: `${user}@${host}:${port}`,
  };
}
