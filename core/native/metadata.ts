/**
 * Which clauses only touch metadata, decided from the statement alone. Only for these does the
 * native path go past ALGORITHM=INSTANT to NOCOPY / INPLACE with LOCK=NONE: INPLACE also covers
 * online table rebuilds and index builds, which are heavy, replicate as one long DDL and stall
 * replicas, so those are left to the copy.
 *
 * Metadata-only: DROP INDEX (not the PK), RENAME INDEX, RENAME COLUMN, ALTER [COLUMN] … SET/DROP
 * DEFAULT (and SET [IN]VISIBLE), DROP FOREIGN KEY, ALTER INDEX … [NOT] IGNORED/[IN]VISIBLE, and the
 * COMMENT table option. CHANGE/MODIFY are not: whether the definition changes the type cannot be
 * known from the statement; INSTANT already takes every case the server can do without a copy
 * (VARCHAR widening within the same length byte included).
 */
import { keyword, tokenize } from '../statement/tokenize.ts';
import type { AlterClause, ParsedAlter } from '../statement/types.ts';

export function isMetadataOnlyClause(clause: AlterClause): boolean {
  switch (clause.kind) {
    case 'drop-index':
    case 'rename-index':
    case 'rename-column':
    case 'alter-column':
    case 'drop-foreign-key':
      return true;
    case 'table-option': {
      const first = keyword(tokenize(clause.text)[0]);
      return first === 'COMMENT';
    }
    case 'other': {
      const [a, b] = tokenize(clause.text).map(keyword);
      return a === 'ALTER' && (b === 'INDEX' || b === 'KEY');
    }
    default:
      return false;
  }
}

export function isMetadataOnly(parsed: ParsedAlter): boolean {
  return parsed.clauses.length > 0 && parsed.clauses.every(isMetadataOnlyClause);
}
