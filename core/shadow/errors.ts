/** Errors raised while creating or loading the shadow table `_<t>_new`. */
import { SluiceError } from '../errors.ts';
import { qualifiedName, oneLine } from '../format.ts';


/** A table with the shadow's name existed before this run tried to create it: it is left untouched. */
export class ShadowTableExistsError extends SluiceError {
  readonly schema: string;
  readonly table: string;
  constructor(schema: string, table: string) {
    super(
      'SHADOW_EXISTS',
      `shadow table ${qualifiedName(schema, table)} already exists (left by an earlier run?): resume that migration, or drop the table if nothing needs it`,
    );
    this.schema = schema;
    this.table = table;
  }
}

/** The server refused the user's ALTER (tried on a temporary probe or the shadow table, under the user's sql_mode): nothing is left behind. */
export class AlterRejectedError extends SluiceError {
  /** The server's error number and symbolic code (e.g. 1054, ER_BAD_FIELD_ERROR), when known. */
  readonly errno: number | undefined;
  readonly serverCode: string | undefined;
  constructor(table: string, serverMessage: string, errno?: number, serverCode?: string, options?: { cause?: unknown }) {
    const tag = errno === undefined ? '' : ` (${serverCode ? `${serverCode} ` : ''}${errno})`;
    super(
      'ALTER_REJECTED',
      `the server rejected the ALTER of \`${table}\`: ${oneLine(serverMessage)}${tag}; fix the statement and run again`,
      options,
    );
    this.errno = errno;
    this.serverCode = serverCode;
  }
}

/** The shadow table would be copied by another key than the one chosen for the source (mapping.ts checkShadowKey). */
export class ShadowPrimaryKeyError extends SluiceError {
  readonly expected: readonly string[];
  readonly actual: readonly string[];
  constructor(schema: string, table: string, expected: readonly string[], actual: readonly string[]) {
    const show = (cols: readonly string[]) => (cols.length ? `(${cols.join(', ')})` : 'none');
    super(
      'SHADOW_PK_CHANGED',
      expected.length === 0
        ? `${qualifiedName(schema, table)} has no key: Sluice copies rows by a unique NOT NULL key, so add one with a plain ALTER TABLE first`
        : `the shadow table of ${qualifiedName(schema, table)} supports key ${show(actual)}, not the key ${show(expected)} chosen before it was created (a table the dry run could not copy keeps its key's index): change the key with a separate plain ALTER TABLE`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** A clause that must not run against the shadow table (RENAME TO would move the shadow away). */
export class UnsafeShadowAlterError extends SluiceError {
  constructor(clause: string) {
    super(
      'UNSAFE_SHADOW_ALTER',
      `the clause "${oneLine(clause)}" cannot be applied online: remove it and run it as a separate statement`,
    );
  }
}

/** The deferred secondary indexes could not be built on the shadow (core/shadow/deferred-indexes.ts): nothing was cut over. */
export class IndexBuildError extends SluiceError {
  readonly indexes: readonly string[];
  readonly errno: number | undefined;
  constructor(shadow: string, indexes: readonly string[], serverMessage: string, errno?: number, options?: { cause?: unknown }) {
    super(
      'INDEX_BUILD_FAILED',
      `building the deferred index(es) ${indexes.join(', ')} on \`${shadow}\` failed: ${oneLine(serverMessage)}${errno === undefined ? '' : ` (${errno})`}; the original table is untouched: run again to resume, or use --no-defer-indexes`,
      options,
    );
    this.indexes = indexes;
    this.errno = errno;
  }
}
