/** The parsed form of the user's `ALTER TABLE` statement (see statement/README.md). */

export type AlterClauseKind =
  | 'add-column' | 'drop-column' | 'change-column' | 'modify-column' | 'rename-column' | 'alter-column'
  | 'add-index' | 'drop-index' | 'rename-index'
  | 'add-primary-key' | 'drop-primary-key'
  | 'add-foreign-key' | 'drop-foreign-key'
  | 'rename-table' | 'algorithm' | 'lock'
  | 'engine' | 'table-option' | 'convert-charset' | 'force' | 'other';

export interface AlterClause {
  readonly kind: AlterClauseKind;
  /** The clause exactly as written (no trailing comma). */
  readonly text: string;
  /** The column or index the clause names (unquoted), where it names one. */
  readonly name?: string;
  /** For CHANGE old new / RENAME COLUMN old TO new / RENAME INDEX old TO new: the new name. */
  readonly newName?: string;
}

export interface ParsedAlter {
  /** Schema named in the statement (`ALTER TABLE db.t`), unquoted; undefined when not named. */
  readonly schema: string | undefined;
  /** Table name, unquoted. */
  readonly table: string;
  /** Everything after the table name, as written: what is applied to the shadow table. */
  readonly spec: string;
  readonly clauses: readonly AlterClause[];
  /** Columns renamed by CHANGE/RENAME COLUMN: old name -> new name (unquoted). */
  readonly renamedColumns: ReadonlyMap<string, string>;
}
