/**
 * checkAlterSupported: the statement-only refusals (no server needed). Valid SQL that Sluice will
 * not run through a shadow table: renaming the table, choosing the algorithm or lock, adding a
 * foreign key, managing partitions. (A primary-key change is judged by key-choice.ts.)
 */
import { oneLine } from '../format.ts';
import { keyword, tokenize } from '../statement/tokenize.ts';
import type { AlterClause, ParsedAlter } from '../statement/types.ts';
import { UnsupportedAlterError } from './errors.ts';

/** True when the clause manages partitions (PARTITION is reserved, so a bare one is never a name). */
export function isPartitionClause(clause: AlterClause): boolean {
  const tokens = tokenize(clause.text);
  return tokens.some((t, i) => t.depth === 0 && (keyword(t) === 'PARTITION'
    || (keyword(t) === 'PARTITIONING' && keyword(tokens[i - 1]) === 'REMOVE')));
}

export function checkAlterSupported(parsed: ParsedAlter): void {
  for (const clause of parsed.clauses) {
    const text = oneLine(clause.text, 80);
    const refuse = (why: string) => { throw new UnsupportedAlterError(clause.text, `"${text}": ${why}`); };
    switch (clause.kind) {
      case 'rename-table':
        refuse('renaming the table is not supported during a migration: run RENAME TABLE on its own after it');
        break;
      case 'algorithm':
      case 'lock':
        refuse('remove it, Sluice chooses the algorithm and locking itself (native ALTER when the server can, else an online copy)');
        break;
      case 'add-foreign-key':
        refuse('adding a foreign key is not supported (a table swap breaks foreign keys): add it with a plain ALTER TABLE');
        break;
      default:
        if (isPartitionClause(clause)) {
          refuse('partition management is not supported: run it as a plain ALTER TABLE, then migrate the other changes with Sluice');
        }
    }
  }
}
