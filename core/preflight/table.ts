/**
 * checkTable: refusals that need the table's definition. Sluice copies and replays by the primary
 * key, swaps tables by RENAME (which triggers would not follow), so it refuses a table without a
 * PK or with triggers, and an ALTER that drops or
 * renames a PK column. Changing a PK column's type (MODIFY id BIGINT) is allowed.
 */
import { oneLine } from '../format.ts';
import type { ParsedAlter } from '../statement/types.ts';
import type { TableInfo } from '../table/types.ts';
import { NoPrimaryKeyError, PrimaryKeyChangeError, TriggersError } from './errors.ts';

export function checkTable(info: TableInfo, parsed: ParsedAlter): void {
  if (info.primaryKey.length === 0) throw new NoPrimaryKeyError(info.schema, info.name);
  if (info.triggers.length > 0) throw new TriggersError(info.schema, info.name, info.triggers);

  const pk = new Set(info.primaryKey.map((c) => c.toLowerCase()));
  const isPk = (name: string | undefined) => name !== undefined && pk.has(name.toLowerCase());
  for (const clause of parsed.clauses) {
    const text = oneLine(clause.text, 80);
    const refuse = (what: string) => {
      throw new PrimaryKeyChangeError(clause.text,
        `"${text}" ${what}, which Sluice copies and replays by: keep the PK columns (changing their type with MODIFY is fine) or use a plain ALTER TABLE`);
    };
    switch (clause.kind) {
      case 'drop-column':
        if (isPk(clause.name)) refuse(`drops primary key column ${clause.name}`);
        break;
      case 'change-column':
      case 'rename-column':
        if (isPk(clause.name) && clause.newName !== undefined && clause.newName.toLowerCase() !== clause.name!.toLowerCase()) {
          refuse(`renames primary key column ${clause.name} to ${clause.newName}`);
        }
        break;
      case 'drop-primary-key':
      case 'add-primary-key':
        refuse('changes the primary key');
        break;
      default:
        break;
    }
  }
}
