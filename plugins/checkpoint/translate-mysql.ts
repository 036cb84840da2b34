/**
 * MySQL 8: where, in this server's binlogs, a saved GTID set (`gtid_executed` when the position was
 * read: SHOW MASTER STATUS's Executed_Gtid_Set) lies. Documented facts it relies on: each binlog file
 * starts with a `Previous_gtids` event whose Info is the set executed before the file; each
 * transaction starts with a `Gtid` event (Info `SET @@SESSION.GTID_NEXT= 'uuid:n'`, or with a tag on
 * 8.3+: `'uuid:tag:n'`); a replica with `log_replica_updates` logs replicated transactions under their
 * original GTIDs. Newest file first: the first file whose Previous_gtids is a subset of the wanted
 * set is scanned; before each Gtid event is a transaction boundary where the executed set is
 * Previous_gtids plus every earlier GTID of the file; the boundary where it equals the wanted set
 * is the answer (or the file's end). None: undefined (the caller refuses). MySQL has no
 * BINLOG_GTID_POS to confirm with: equality of the sets is the check. (Not run here: the sandbox is
 * MariaDB; test/unit/checkpoint-translate-mysql.test.ts scripts the binlog.)
 */
import { queryRows, type Queryable } from '../../plugin-api.ts';

const PAGE = 5000;

/** A GTID set: per source (`uuid`, or `uuid:tag`), sorted disjoint closed intervals. */
export type GtidSet = Map<string, Array<[bigint, bigint]>>;

/** Parses `uuid:1-5:7,uuid2:tag:1-3` (whitespace and newlines ignored, UUIDs case-insensitive). */
export function parseGtidSet(text: string): GtidSet {
  const set: GtidSet = new Map();
  for (const part of text.replace(/\s+/g, '').split(',').filter(Boolean)) {
    const [uuid, ...rest] = part.split(':');
    if (!/^[0-9a-f-]{36}$/i.test(uuid ?? '') || rest.length === 0) throw new Error(`not a GTID set: ${JSON.stringify(text)}`);
    let source = uuid!.toLowerCase();
    for (const r of rest) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(r);
      if (!m) {
        if (!/^[a-z_][a-z0-9_]{0,31}$/i.test(r)) throw new Error(`not a GTID set: ${JSON.stringify(text)}`);
        source = `${uuid!.toLowerCase()}:${r.toLowerCase()}`; // a tag: the intervals after it are tagged
        continue;
      }
      add(set, source, BigInt(m[1]!), BigInt(m[2] ?? m[1]!));
    }
  }
  return set;
}

function add(set: GtidSet, source: string, from: bigint, to: bigint): void {
  const list = [...(set.get(source) ?? []), [from, to] as [bigint, bigint]].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Array<[bigint, bigint]> = [];
  for (const [a, b] of list) {
    const last = merged.at(-1);
    if (last && a <= last[1] + 1n) last[1] = b > last[1] ? b : last[1];
    else merged.push([a, b]);
  }
  set.set(source, merged);
}

/** Adds one GTID (`uuid:n` or `uuid:tag:n`). */
export function addGtid(set: GtidSet, gtid: string): void {
  const at = gtid.lastIndexOf(':');
  const n = BigInt(gtid.slice(at + 1));
  add(set, gtid.slice(0, at).toLowerCase(), n, n);
}

/** Every GTID of `a` is in `b`. */
export function isSubset(a: GtidSet, b: GtidSet): boolean {
  for (const [source, intervals] of a) {
    const theirs = b.get(source) ?? [];
    for (const [x, y] of intervals) if (!theirs.some(([p, q]) => p <= x && y <= q)) return false;
  }
  return true;
}

export function sameGtidSet(a: GtidSet, b: GtidSet): boolean {
  return isSubset(a, b) && isSubset(b, a);
}

/** `uuid:1-5:7,uuid2:1-3` (sources sorted, as MySQL prints them, without its line breaks). */
export function formatGtidSet(set: GtidSet): string {
  return [...set].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([source, intervals]) => `${source}:${intervals.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(':')}`).join(',');
}

interface EventRow { Pos: unknown; End_log_pos: unknown; Event_type: unknown; Info: unknown }

const BOUNDARY_EVENTS = new Set(['Gtid', 'Gtid_tagged', 'Anonymous_Gtid', 'Rotate', 'Stop']);

/**
 * MySQL's counterpart of MariaDB's BINLOG_GTID_POS(file, offset): the GTID set executed at a
 * transaction boundary `position` of `file` (Previous_gtids plus the GTIDs of the file before it),
 * read with SHOW BINLOG EVENTS from the file's start; undefined when `position` is not a boundary
 * or the file has no Previous_gtids (GTIDs off). The checkpoint saves it with the applied position.
 */
export async function gtidSetAt(db: Queryable, file: string, position: number, page = PAGE): Promise<string | undefined> {
  let state: GtidSet | undefined;
  let pending: string | undefined;
  let from = 4;
  for (;;) {
    const events = await queryRows<EventRow>(db, `SHOW BINLOG EVENTS IN ${quote(file)} FROM ${from} LIMIT ${page}`);
    for (const e of events) {
      const pos = Number(e.Pos);
      const type = String(e.Event_type);
      if (pos === position) return state && BOUNDARY_EVENTS.has(type) ? formatGtidSet(fold(state, pending)) : undefined;
      if (pos > position) return undefined;
      if (type === 'Previous_gtids') state = parseGtidSet(String(e.Info ?? ''));
      else if (type === 'Gtid' || type === 'Gtid_tagged') {
        if (state) fold(state, pending);
        pending = /GTID_NEXT\s*=\s*'([^']+)'/i.exec(String(e.Info))?.[1];
      }
      from = Number(e.End_log_pos);
    }
    if (events.length < page) return state && from === position ? formatGtidSet(fold(state, pending)) : undefined; // the file's end
  }
}

function fold(state: GtidSet, gtid: string | undefined): GtidSet {
  if (gtid) addGtid(state, gtid);
  return state;
}

/** `page`: events per SHOW BINLOG EVENTS (a parameter for tests). */
export async function findMysqlGtidPosition(db: Queryable, want: string, page = PAGE): Promise<{ file: string; position: number } | undefined> {
  const wanted = parseGtidSet(want); // throws on a malformed saved set
  const logs = await queryRows<{ Log_name: unknown }>(db, 'SHOW BINARY LOGS');
  for (const file of logs.map((l) => String(l.Log_name)).reverse()) {
    const found = await scanFile(db, file, wanted, page);
    if (found === 'later') continue;
    return found;
  }
  return undefined;
}

/** 'later': the file starts past the wanted set (look in an older one). */
async function scanFile(db: Queryable, file: string, want: GtidSet, page: number): Promise<{ file: string; position: number } | undefined | 'later'> {
  let state: GtidSet | undefined;
  let pending: string | undefined;
  let from = 4;
  let end: number | undefined;
  const fold = () => {
    if (pending) addGtid(state!, pending);
    pending = undefined;
  };
  for (;;) {
    const events = await queryRows<EventRow>(db, `SHOW BINLOG EVENTS IN ${quote(file)} FROM ${from} LIMIT ${page}`);
    for (const e of events) {
      end = Number(e.End_log_pos);
      const type = String(e.Event_type);
      if (type === 'Previous_gtids') {
        state = parseGtidSet(String(e.Info ?? ''));
        if (!isSubset(state, want)) return 'later';
        continue;
      }
      if (type !== 'Gtid' && type !== 'Gtid_tagged') continue;
      if (!state) return undefined; // no Previous_gtids: not a GTID binlog
      fold();
      if (sameGtidSet(state, want)) return { file, position: Number(e.Pos) };
      pending = /GTID_NEXT\s*=\s*'([^']+)'/i.exec(String(e.Info))?.[1];
    }
    if (events.length < page) {
      if (!state) return undefined;
      fold(); // the file's last transaction ends at its end
      return end !== undefined && sameGtidSet(state, want) ? { file, position: end } : undefined;
    }
    from = end!;
  }
}

/** SHOW BINLOG EVENTS takes no placeholder for the file name: a quoted string literal. */
function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
