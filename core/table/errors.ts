/** Errors raised while reading a table's definition. */
import { SluiceError } from '../errors.ts';
import { qualifiedName } from '../format.ts';


/** The table (or its schema) does not exist. */
export class TableNotFoundError extends SluiceError {
  readonly schema: string;
  readonly table: string;
  constructor(schema: string, table: string) {
    super(
      'TABLE_NOT_FOUND',
      `table ${qualifiedName(schema, table)} does not exist: check --database and the table named in the statement`,
    );
    this.schema = schema;
    this.table = table;
  }
}

/** The name is a VIEW, a SEQUENCE, a system-versioned table...: only a plain base table can be migrated. */
export class NotABaseTableError extends SluiceError {
  readonly schema: string;
  readonly table: string;
  readonly tableType: string;
  constructor(schema: string, table: string, tableType: string) {
    super(
      'NOT_A_BASE_TABLE',
      `${qualifiedName(schema, table)} is a ${tableType}, not a base table: name a plain table in the statement (alter a view with CREATE OR REPLACE VIEW)`,
    );
    this.schema = schema;
    this.table = table;
    this.tableType = tableType;
  }
}
