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

/**
 * The set of NOT NULL columns unique in the old table and in the new one that rows are copied,
 * replayed, checksummed and resumed by (see the root README, "Which key").
 */
export interface TableKey {
  /** Source column names: the columns of `index` first, in its order, then the rest of the new table's key. */
  readonly columns: readonly string[];
  /** The source's unique index walked in chunks (FORCE INDEX): its columns are a prefix of `columns`. */
  readonly index: string;
  /** The new table's unique index over `columns` (a duplicate on it is the same row). */
  readonly shadowIndex: string;
}

export interface TableInfo {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
  /** PK column names in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  /**
   * The key Sluice copies, replays and checksums by, chosen before anything is created
   * (core/preflight/key-choice.ts); absent on a table Sluice does not migrate (e.g. the shadow),
   * and then `tableKey` falls back to the PRIMARY KEY.
   */
  readonly key?: TableKey;
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
