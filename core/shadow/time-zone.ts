/**
 * DATETIME ↔ TIMESTAMP as the user's sessions convert them. Sluice's sessions run in '+00:00'
 * (connection.ts), so `INSERT … SELECT` alone would read a DATETIME as UTC; the server's own
 * ALTER reads it in the session's time zone. When a mapped pair crosses between a wall-clock type
 * (DATETIME, DATE) and TIMESTAMP and the user's zone is not UTC, the copy selects a converted
 * expression instead of the bare column (the same expression serves copy, replay and checksum):
 *  - a fixed offset (`+05:30`, or SYSTEM when the system zone is one): exact DATETIME arithmetic,
 *    so a result outside TIMESTAMP's range still warns (the copy stops as lossy, the server's
 *    strict ALTER refuses);
 *  - a named zone: CONVERT_TZ, which the server computes as it stores a DATETIME into a TIMESTAMP;
 *    CONVERT_TZ leaves values near the ends of TIMESTAMP's range unconverted, and shifts a local time
 *    in a daylight-saving gap (which the server's strict ALTER refuses), so those are pushed out of
 *    range on purpose (the copy stops as lossy instead of storing a wrong instant).
 * NULL, zero dates and dates with zero parts pass unchanged (no zone affects them).
 */
import mysql from 'mysql2/promise';
import type { UserSession } from '../connection/user-session.ts';
import type { ColumnInfo } from '../table/types.ts';

const WALL_CLOCK = new Set(['datetime', 'date']);
/** Targets a TIMESTAMP is turned into by reading it as local wall-clock time. */
const FROM_TIMESTAMP = new Set(['datetime', 'date', 'time', 'char', 'varchar']);
const UTC_NAMES = new Set(['utc', 'gmt', 'etc/utc', 'etc/gmt', 'universal', 'zulu', 'uct', 'etc/universal', 'etc/zulu', 'gmt0', 'etc/gmt0']);

type Zone = { kind: 'utc' } | { kind: 'offset'; minutes: number } | { kind: 'named'; name: string };

/** How the user's session zone converts: UTC (nothing to do), a fixed offset, or a named zone. */
export function sessionZone(session: Pick<UserSession, 'timeZone' | 'systemTimeZone'>): Zone {
  const system = session.timeZone.toUpperCase() === 'SYSTEM';
  const name = system ? session.systemTimeZone : session.timeZone;
  const offset = /^([+-])(\d{1,2}):(\d{2})$/.exec(name.trim());
  if (offset) {
    const minutes = (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
    return minutes === 0 ? { kind: 'utc' } : { kind: 'offset', minutes };
  }
  if (UTC_NAMES.has(name.trim().toLowerCase())) return { kind: 'utc' };
  // SYSTEM with a non-UTC system zone: the server knows it as 'SYSTEM' (its abbreviation, e.g. CET, may not be loadable).
  return { kind: 'named', name: system ? 'SYSTEM' : name };
}

/**
 * The expression to select instead of `column` (escaped) so that storing it into `to` in a
 * '+00:00' session gives what the user's session would store; undefined when the bare column does.
 */
export function zoneConversion(column: string, from: ColumnInfo, to: ColumnInfo, zone: Zone): string | undefined {
  if (zone.kind === 'utc') return undefined;
  const f = from.dataType.toLowerCase();
  const t = to.dataType.toLowerCase();
  if (WALL_CLOCK.has(f) && t === 'timestamp') return localToUtc(column, zone);
  if (f === 'timestamp' && FROM_TIMESTAMP.has(t)) return utcToLocal(column, zone);
  return undefined;
}

const noZone = (c: string) => `${c} IS NULL OR MONTH(${c}) = 0 OR DAYOFMONTH(${c}) = 0`;

function localToUtc(c: string, zone: Exclude<Zone, { kind: 'utc' }>): string {
  if (zone.kind === 'offset') {
    // Years a TIMESTAMP cannot hold pass unchanged: out of range either way, and no NULL from underflow.
    return `IF(${noZone(c)} OR YEAR(${c}) NOT BETWEEN 1969 AND 2038, ${c}, ${c} - INTERVAL ${zone.minutes} MINUTE)`;
  }
  const tz = mysql.escape(zone.name);
  const utc = `CONVERT_TZ(${c}, ${tz}, '+00:00')`;
  // A local time that does not exist (a daylight-saving gap) does not come back: the server refuses it too.
  const gap = `CONVERT_TZ(${utc}, '+00:00', ${tz}) <> ${c}`;
  const edge = `${c} < '1970-01-02' OR ${c} >= '2038-01-18' OR ${gap}`;
  return `IF(${noZone(c)}, ${c}, IF(${edge}, ${c} - INTERVAL 1000 YEAR, ${utc}))`;
}

function utcToLocal(c: string, zone: Exclude<Zone, { kind: 'utc' }>): string {
  const zero = `${c} IS NULL OR UNIX_TIMESTAMP(${c}) = 0`;
  if (zone.kind === 'offset') return `IF(${zero}, ${c}, ${c} + INTERVAL ${zone.minutes} MINUTE)`;
  return `IF(${zero}, ${c}, CONVERT_TZ(${c}, '+00:00', ${mysql.escape(zone.name)}))`;
}
