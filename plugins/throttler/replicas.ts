/** The built-in replica-lag throttler over real connections to `mysql://user:pass@host:port` replicas. */
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
    if (this.#conn.version === undefined) await query('SELECT 1'); // connects, learns the flavor
    return readReplicaLag(query, this.#conn.version ?? '', this.label);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }
}

export function replicaAddresses(replicas: readonly string[]): ServerAddress[] {
  return replicas.map((dsn, i) => parseDsn(dsn, `replicas[${i}]`));
}

export function replicaLagThrottler(options: ReplicaLagThrottlerOptions): ReplicaLagThrottler {
  const readTimeoutMs = options.lagReadTimeoutMs ?? DEFAULT_LAG_READ_TIMEOUT_MS;
  const sources = replicaAddresses(options.replicas).map((a) => new ReplicaSource(a, readTimeoutMs));
  return new ReplicaLagThrottler(sources, { get maxLagMs() { return options.maxReplicaLagMs ?? DEFAULT_MAX_REPLICA_LAG_MS; }, readTimeoutMs });
}
