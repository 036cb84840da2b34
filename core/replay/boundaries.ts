/**
 * Follows the binlog's event groups to know where complete transactions end. A position is
 * only adopted at a boundary: an Xid, a COMMIT/ROLLBACK query, a standalone statement (DDL),
 * XA PREPARE, a rotate, or a file-level event (format, GTID list, checkpoint) outside any
 * group. Inside a group (after a GTID event or BEGIN) nothing moves.
 */
import type { BinlogPosition } from '../types.ts';
import { compareBinlogPositions } from '../connection/connection.ts';

/** The slice of a zongji event this needs. */
export interface StreamEvent {
  getEventName(): string;
  readonly nextPosition: number;
  readonly binlogName?: string;
  readonly position?: number;
  readonly query?: string;
  readonly standalone?: boolean;
}

/** Events the stream must deliver for boundaries to be seen (besides the row events). */
export const BOUNDARY_EVENTS = [
  'rotate', 'query', 'xid', 'xaprepare', 'format',
  'mariadbgtid', 'mariadbgtidlist', 'binlogcheckpoint',
  'gtid', 'anonymousgtid', 'previousgtids',
] as const;

const ENDS_TRANSACTION = /^(COMMIT|ROLLBACK|XA\s+COMMIT|XA\s+ROLLBACK)\b/i;
const STARTS_TRANSACTION = /^(BEGIN|START\s+TRANSACTION|XA\s+START|XA\s+BEGIN)\b/i;

export class TransactionBoundaries {
  #file: string;
  #at: BinlogPosition;
  /** Inside an explicit transaction (BEGIN, or a MariaDB GTID that opens one). */
  #open = false;

  constructor(start: BinlogPosition) {
    this.#file = start.file;
    this.#at = { file: start.file, position: start.position };
  }

  /** End of the last complete transaction seen. */
  get position(): BinlogPosition {
    return this.#at;
  }

  /** Feeds one event; returns true when the boundary position moved. */
  observe(evt: StreamEvent): boolean {
    switch (evt.getEventName()) {
      case 'rotate':
        this.#open = false;
        if (!evt.binlogName) return false;
        this.#file = evt.binlogName;
        return this.#adopt(evt.position ?? 4);
      case 'mariadbgtid':
        this.#open = evt.standalone === false;
        return false;
      case 'gtid':
      case 'anonymousgtid':
        this.#open = false; // MySQL: a BEGIN query follows for a DML transaction
        return false;
      case 'xid':
      case 'xaprepare':
        this.#open = false;
        return this.#adopt(evt.nextPosition);
      case 'query': {
        const sql = (evt.query ?? '').trim();
        if (STARTS_TRANSACTION.test(sql)) {
          this.#open = true;
          return false;
        }
        if (ENDS_TRANSACTION.test(sql) && !/^ROLLBACK\s+TO\b/i.test(sql)) {
          this.#open = false;
          return this.#adopt(evt.nextPosition);
        }
        // A statement of its own (DDL); inside a transaction (SAVEPOINT, ROLLBACK TO) nothing moves.
        return this.#open ? false : this.#adopt(evt.nextPosition);
      }
      case 'format':
      case 'mariadbgtidlist':
      case 'binlogcheckpoint':
      case 'previousgtids':
        return this.#open ? false : this.#adopt(evt.nextPosition);
      default:
        return false;
    }
  }

  #adopt(position: number): boolean {
    // MariaDB writes end_log_pos 0 on some events and the dump's artificial events carry 0.
    if (!(position > 0)) return false;
    const next = { file: this.#file, position };
    if (compareBinlogPositions(next, this.#at) <= 0) return false;
    this.#at = next;
    return true;
  }
}
