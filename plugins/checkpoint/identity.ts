/**
 * Which server a binlog position belongs to, and the GTID position that says what it means on
 * any server of the same replication topology. A binlog file name and offset only mean something
 * on the server that wrote them: after a failover the same host name can point at a server whose
 * `binlog.000003:4711` is another transaction, or the middle of one.
 */
import { gtidSetAt } from './translate-mysql.ts';
import { queryRows, type BinlogPosition, type Queryable, type ServerFlavor } from '../../plugin-api.ts';
import type { ServerIdentity } from './table.ts';

export async function serverIdentity(db: Queryable, flavor: ServerFlavor): Promise<ServerIdentity> {
  const [row] = await queryRows<{ id: unknown; uuid?: unknown }>(
    db,
    flavor.mariadb ? 'SELECT @@GLOBAL.server_id AS id' : 'SELECT @@GLOBAL.server_id AS id, @@GLOBAL.server_uuid AS uuid',
  );
  const uuid = row?.uuid;
  return { serverId: String(row?.id), uuid: typeof uuid === 'string' && uuid !== '' ? uuid : null };
}

export function sameServer(a: ServerIdentity, b: ServerIdentity): boolean {
  return a.serverId === b.serverId && a.uuid === b.uuid;
}

export function describeServer(s: ServerIdentity): string {
  return `server_id ${s.serverId}${s.uuid ? ` (server_uuid ${s.uuid})` : ''}`;
}

/**
 * The exact GTID position at `pos` on this server. MariaDB computes it: BINLOG_GTID_POS(file,
 * offset) (null when the offset is not the start of an event group; it reads the file from its
 * start up to the offset). MySQL 8 has no such function: gtidSetAt (translate-mysql.ts) computes
 * the executed GTID set there the same way, from the file's Previous_gtids and Gtid events.
 */
export async function gtidAt(db: Queryable, flavor: ServerFlavor, pos: BinlogPosition): Promise<string | undefined> {
  if (!flavor.mariadb) return gtidSetAt(db, pos.file, pos.position);
  const [row] = await queryRows<{ g: unknown }>(db, 'SELECT BINLOG_GTID_POS(?, ?) AS g', [pos.file, pos.position]);
  return typeof row?.g === 'string' ? row.g : undefined;
}

/** A MariaDB GTID position ("0-1-5,1-2-9") as domain -> "domain-server-seq", for comparing. */
export function parseGtidPos(text: string): Map<string, { server: string; seq: bigint }> {
  const out = new Map<string, { server: string; seq: bigint }>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a MariaDB GTID`);
    out.set(m[1]!, { server: m[2]!, seq: BigInt(m[3]!) });
  }
  return out;
}

/** The same transactions precede both positions: every domain's last GTID is the same. */
export function sameGtidPos(a: string, b: string): boolean {
  const x = parseGtidPos(a);
  const y = parseGtidPos(b);
  if (x.size !== y.size) return false;
  for (const [domain, g] of x) {
    const h = y.get(domain);
    if (!h || h.server !== g.server || h.seq !== g.seq) return false;
  }
  return true;
}

/** No domain of `state` is past `want` (by sequence number): the wanted point can still lie ahead. */
export function notPast(state: string, want: string): boolean {
  const w = parseGtidPos(want);
  for (const [domain, g] of parseGtidPos(state)) {
    const h = w.get(domain);
    if (!h || g.seq > h.seq) return false;
  }
  return true;
}
