/**
 * TLS for every connection Sluice opens (pool, binlog stream, lock, replicas), as the `mysql`
 * client names it: `--ssl-mode` DISABLED | REQUIRED | VERIFY_CA | VERIFY_IDENTITY, and PEM files
 * `--ssl-ca`, `--ssl-cert`, `--ssl-key`. A CA without a mode means VERIFY_CA, as in the mysql client;
 * no setting at all means no TLS. VERIFY_IDENTITY with an IP address as host checks the name
 * `localhost` (the driver sends no server name for an IP): connect by the host name the certificate names. (PREFERRED, the mysql client's default, is not offered: the driver
 * cannot fall back to plain text, so a mode must say whether TLS is required.)
 */
import { readFileSync } from 'node:fs';
import { InvalidOptionError } from '../errors.ts';

export const TLS_MODES = ['DISABLED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export interface TlsOptions {
  mode?: TlsMode;
  /** Path of the CA certificate (PEM) that signed the server's certificate. */
  ca?: string;
  /** Path of the client certificate (PEM), for servers that require one. */
  cert?: string;
  /** Path of the client certificate's private key (PEM). */
  key?: string;
}

/** mysql2's `ssl` option (it passes the PEM texts to tls.connect and checks the host name itself when verifyIdentity). */
export interface DriverTls { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; verifyIdentity: boolean }

/** The effective mode of these settings. */
export function tlsMode(tls: TlsOptions | undefined): TlsMode {
  if (!tls) return 'DISABLED';
  if (tls.mode !== undefined) {
    if (!TLS_MODES.includes(tls.mode)) {
      throw new InvalidOptionError(`ssl mode must be one of ${TLS_MODES.join(', ')}, got ${JSON.stringify(tls.mode)}: fix --ssl-mode (or connection.ssl.mode)`);
    }
    return tls.mode;
  }
  if (tls.ca) return 'VERIFY_CA';
  return tls.cert || tls.key ? 'REQUIRED' : 'DISABLED';
}

/** mysql2's `ssl` option for these settings, or undefined for plain connections. Reads the PEM files. */
export function driverTls(tls: TlsOptions | undefined): DriverTls | undefined {
  const mode = tlsMode(tls);
  if (mode === 'DISABLED') return undefined;
  if ((mode === 'VERIFY_CA' || mode === 'VERIFY_IDENTITY') && !tls?.ca) {
    throw new InvalidOptionError(`ssl mode ${mode} needs the CA certificate: pass --ssl-ca PATH (or connection.ssl.ca)`);
  }
  return {
    ...(tls?.ca ? { ca: pem('ca', tls.ca) } : {}),
    ...(tls?.cert ? { cert: pem('cert', tls.cert) } : {}),
    ...(tls?.key ? { key: pem('key', tls.key) } : {}),
    // REQUIRED: encrypted, certificate not checked; VERIFY_CA: the chain; VERIFY_IDENTITY: the chain and the host name.
    rejectUnauthorized: mode !== 'REQUIRED',
    verifyIdentity: mode === 'VERIFY_IDENTITY',
  };
}

function pem(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(`cannot read the ssl ${what} file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): fix --ssl-${what}`);
  }
}
