/** What Sluice knows of a table, read from INFORMATION_SCHEMA (see table/README.md). */

export interface ColumnInfo {
  readonly name: string;
  /** Full type as the server shows it, e.g. "bigint(20) unsigned", "varchar(64)". */
  readonly columnType: string;
  /** Base type in lower case, e.g. "bigint", "varchar", "datetime". */
  readonly dataType: string;
  readonly nullable: boolean;
  /** VIRTUAL or STORED generated column: never written, recomputed by the server. */
  readonly generated: boolean;
  readonly charset: string | null;
  readonly collation: string | null;
  readonly unsigned: boolean;
}

export interface IndexInfo {
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly string[];
}

export interface ForeignKeyInfo {
  readonly name: string;
  /** "child": this table references another; "parent": another table references this one. */
  readonly role: 'child' | 'parent';
  readonly otherTable: string;
}

export interface TableInfo {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
  /** PK column names in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  readonly indexes: readonly IndexInfo[];
  readonly foreignKeys: readonly ForeignKeyInfo[];
  readonly triggers: readonly string[];
  readonly engine: string;
  readonly autoIncrement: number | null;
  /** INFORMATION_SCHEMA's estimate. */
  readonly rowsEstimate: number;
  /**
   * The server's @@lower_case_table_names when inspected: 0 = names are case-sensitive, 1/2 = they
   * compare case-insensitively. `schema` and `name` are always the names as stored.
   */
  readonly lowerCaseTableNames?: number;
}

/** How rows move from the source to the shadow table: INSERT INTO shadow (target) SELECT source. */
export interface ColumnMapping {
  /** Source column names, in the order of `target`. */
  readonly source: readonly string[];
  /** Shadow column names (never generated columns). */
  readonly target: readonly string[];
  /**
   * When present (same length as `source`): the SQL to SELECT for each pair instead of the bare
   * source column, e.g. a DATETIME → TIMESTAMP conversion in the user's time zone (core/shadow).
   * Copy, replay and checksum all select these.
   */
  readonly expressions?: readonly string[];
}
