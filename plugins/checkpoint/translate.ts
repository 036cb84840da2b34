/**
 * MariaDB: where, in this server's binlogs, a saved GTID position lies. After a failover to a
 * replica (log_slave_updates, so it logs the transactions it replicated under their original
 * GTIDs) the same transactions are there at other file names and offsets.
 *
 * Newest file first: BINLOG_GTID_POS(file, 4) is the position at the file's start; the first file
 * whose start is not past the wanted position is scanned with SHOW BINLOG EVENTS (pages of
 * PAGE events). Each GTID event starts a group; the position just before it is a group boundary,
 * and the GTID position there is the start's with every earlier group's GTID applied. The first
 * boundary whose position equals the wanted one is the answer, confirmed by the server itself
 * (BINLOG_GTID_POS at that offset must equal it). None: undefined (the caller refuses).
 */
import { queryRows, type Queryable } from '../../plugin-api.ts';
import { notPast, parseGtidPos, sameGtidPos } from './identity.ts';

const PAGE = 5000;

interface EventRow { Pos: unknown; End_log_pos: unknown; Event_type: unknown; Info: unknown }

/** `page`: events per SHOW BINLOG EVENTS (a parameter for tests). */
export async function findGtidPosition(db: Queryable, want: string, page = PAGE): Promise<{ file: string; position: number } | undefined> {
  parseGtidPos(want); // throws on a malformed saved position
  const logs = await queryRows<{ Log_name: unknown }>(db, 'SHOW BINARY LOGS');
  for (const file of logs.map((l) => String(l.Log_name)).reverse()) {
    const start = await gtidPosAt(db, file, 4);
    if (start === undefined || !notPast(start, want)) continue;
    const found = await scanFile(db, file, start, want, page);
    if (found !== undefined && sameGtidPos((await gtidPosAt(db, file, found)) ?? '', want)) return { file, position: found };
    return undefined; // the wanted position would be in this file and is not: an older file cannot have it either
  }
  return undefined;
}

async function scanFile(db: Queryable, file: string, start: string, want: string, page: number): Promise<number | undefined> {
  const state = parseGtidPos(start);
  let pending: string | undefined;
  const fold = () => {
    if (!pending) return;
    const [domain, server, seq] = pending.split('-') as [string, string, string];
    state.set(domain, { server, seq: BigInt(seq) });
    pending = undefined;
  };
  const matches = () => sameGtidPos([...state].map(([d, g]) => `${d}-${g.server}-${g.seq}`).join(','), want);
  let from = 4;
  let end: number | undefined; // where the last event read ends
  for (;;) {
    const events = await queryRows<EventRow>(db, `SHOW BINLOG EVENTS IN ${quote(file)} FROM ${from} LIMIT ${page}`);
    for (const e of events) {
      end = Number(e.End_log_pos);
      if (String(e.Event_type) !== 'Gtid') continue;
      fold();
      if (matches()) return Number(e.Pos);
      pending = /GTID (\d+-\d+-\d+)/.exec(String(e.Info))?.[1];
    }
    if (events.length < page) {
      fold(); // the file's last group ends at its end
      return end !== undefined && matches() ? end : undefined;
    }
    from = end!;
  }
}

async function gtidPosAt(db: Queryable, file: string, position: number): Promise<string | undefined> {
  const [row] = await queryRows<{ g: unknown }>(db, 'SELECT BINLOG_GTID_POS(?, ?) AS g', [file, position]);
  return typeof row?.g === 'string' ? row.g : undefined;
}

/** SHOW BINLOG EVENTS takes no placeholder for the file name: a quoted string literal. */
function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
