/** The built-in replica-lag throttler over real connections to `mysql://user:pass@host:port` replicas. */
import type { TlsOptions } from '../../plugin-api.ts';
import { parseDsn, type ServerAddress } from './dsn.ts';
import { ReplicaLagThrottler, type LagSource } from './replica-lag.ts';
import { readReplicaLag, type LagReading } from './replica-status.ts';
import { ServerConnection } from './server-connection.ts';

export interface ReplicaLagThrottlerOptions {
  /** `mysql://user:password@host:port` of each replica to watch. */
  replicas: readonly string[];
  /** Default 10 s. Read at every check (a getter changes it while the copy runs). */
  readonly maxReplicaLagMs?: number;
  /** Pause when a replica's lag has been unreadable this long (default 10 s). */
  lagReadTimeoutMs?: number;
  /** TLS settings every replica inherits (the main connection's); a DSN's ssl-* parameters override them. */
  ssl?: TlsOptions;
}

export const DEFAULT_MAX_REPLICA_LAG_MS = 10_000;
export const DEFAULT_LAG_READ_TIMEOUT_MS = 10_000;

class ReplicaSource implements LagSource {
  readonly label: string;
  readonly #conn: ServerConnection;

  constructor(address: ServerAddress, timeoutMs: number) {
    this.label = address.label;
    const bound = Math.max(500, Math.min(timeoutMs, 5000));
    this.#conn = new ServerConnection(address.connection, { connectTimeoutMs: bound, queryTimeoutMs: bound });
  }

  async read(): Promise<LagReading> {
    const query = (sql: string) => this.#conn.query(sql);
    if (this.#conn.version === undefined) await query('SELECT 1').catch((err: unknown) => { throw tlsFailure(err) ?? err; }); // connects, learns the flavor
    return readReplicaLag(query, this.#conn.version ?? '', this.label);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }
}

/** A TLS failure of a replica connection, saying which setting to change. */
function tlsFailure(err: unknown): Error | undefined {
  const code = (err as { code?: string } | null)?.code;
  const message = String((err as Error | null)?.message ?? '');
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new Error('it does not offer TLS, which the ssl mode requires: enable TLS on it, or add ?ssl-mode=DISABLED to its DSN', { cause: err });
  }
  if (code === 'HANDSHAKE_SSL_ERROR') {
    return new Error(`the TLS handshake failed (${message.slice(0, 120)}): check the ssl-ca / ssl-mode of its DSN (or --ssl-*, which replicas inherit)`, { cause: err });
  }
  return undefined;
}

export function replicaAddresses(replicas: readonly string[], ssl?: TlsOptions): ServerAddress[] {
  return replicas.map((dsn, i) => parseDsn(dsn, `replicas[${i}]`, ssl));
}

export function replicaLagThrottler(options: ReplicaLagThrottlerOptions): ReplicaLagThrottler {
  const readTimeoutMs = options.lagReadTimeoutMs ?? DEFAULT_LAG_READ_TIMEOUT_MS;
  const sources = replicaAddresses(options.replicas, options.ssl).map((a) => new ReplicaSource(a, readTimeoutMs));
  return new ReplicaLagThrottler(sources, { get maxLagMs() { return options.maxReplicaLagMs ?? DEFAULT_MAX_REPLICA_LAG_MS; }, readTimeoutMs });
}
