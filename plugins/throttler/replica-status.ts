/**
 * Reading a replica's lag from its replication status:
 *  - MariaDB: `SHOW ALL SLAVES STATUS` (every replication connection; the worst one counts),
 *    `Seconds_Behind_Master`;
 *  - MySQL 8.0.22+: `SHOW REPLICA STATUS`, `Seconds_Behind_Source` (older: `SHOW SLAVE STATUS`).
 * NULL means the SQL (or IO) thread is stopped or broken: the replica is not replicating, which
 * counts as lagging. An empty status means the server is not a replica (an error).
 */
import { NotAReplicaError } from './errors.ts';

export interface LagReading {
  /** Seconds behind the source; null = not replicating (a thread stopped or broken). */
  readonly seconds: number | null;
  /** What the status said, for the reason shown to the operator. */
  readonly detail: string;
}

type Row = Record<string, unknown>;
type Query = (sql: string) => Promise<Row[]>;

export async function readReplicaLag(query: Query, version: string, label: string): Promise<LagReading> {
  const rows = await statusRows(query, /mariadb/i.test(version));
  if (rows.length === 0) throw new NotAReplicaError(label);
  let worst: LagReading | undefined;
  for (const row of rows) {
    const reading = lagOf(row);
    if (reading.seconds === null) return reading;
    if (!worst || reading.seconds > worst.seconds!) worst = reading;
  }
  return worst!;
}

async function statusRows(query: Query, mariadb: boolean): Promise<Row[]> {
  if (mariadb) return query('SHOW ALL SLAVES STATUS');
  try {
    return await query('SHOW REPLICA STATUS');
  } catch (err) {
    if ((err as { errno?: number }).errno !== 1064) throw err; // before MySQL 8.0.22
    return query('SHOW SLAVE STATUS');
  }
}

function field(row: Row, ...names: string[]): unknown {
  for (const n of names) if (n in row) return row[n];
  return undefined;
}

export function lagOf(row: Row): LagReading {
  const raw = field(row, 'Seconds_Behind_Master', 'Seconds_Behind_Source');
  const io = field(row, 'Slave_IO_Running', 'Replica_IO_Running');
  const sql = field(row, 'Slave_SQL_Running', 'Replica_SQL_Running');
  const name = field(row, 'Connection_name', 'Channel_Name');
  const channel = name ? ` (connection '${String(name)}')` : '';
  if (raw === null || raw === undefined || raw === '') {
    const error = field(row, 'Last_SQL_Error', 'Last_IO_Error');
    const why = error ? `: ${String(error).split('\n')[0]}` : '';
    return { seconds: null, detail: `not replicating${channel}: IO thread ${String(io ?? '?')}, SQL thread ${String(sql ?? '?')}${why}` };
  }
  const seconds = Number(raw);
  return { seconds, detail: `${seconds} s behind${channel}` };
}
