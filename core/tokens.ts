/**
 * The tokens core registers in each migration's container, in the order they become available.
 * Plugins resolve them in their hooks (e.g. the checkpoint plugin resolves Pool and Target in
 * `resume`, Shadow and Replay in `progress`).
 */
import type { Pool } from 'mysql2/promise';
import { token } from './container/tokens.ts';
import type { ConnectionOptions, ServerFlavor } from './connection/connection.ts';
import type { ResolvedOptions } from './options.ts';
import type { ParsedAlter } from './statement/types.ts';
import type { ColumnMapping, TableInfo } from './table/types.ts';
import type { BinlogPosition, KeyTuple } from './types.ts';

/** The table being migrated. */
export interface MigrationTarget {
  readonly schema: string;
  readonly table: string;
  readonly statement: string;
  readonly parsed: ParsedAlter;
}

/** The shadow table, once created or found for a resume. */
export interface ShadowInfo {
  readonly name: string;
  readonly info: TableInfo;
  readonly mapping: ColumnMapping;
}

/** What plugins may ask of the replay stream. */
export interface ReplayControl {
  /** Applies pending changes to the shadow table now. */
  flush(): Promise<number>;
  readonly applied: BinlogPosition;
  readonly pending: number;
}

/** What plugins may ask of the copier (the checksum plugin re-copies a range). */
export interface CopyControl {
  /** Deletes the shadow rows of the range and copies it again from the source. */
  recopy(lower: KeyTuple | null, upper: KeyTuple | null): Promise<number>;
}

export const Tokens = {
  /** Resolved options (available from setup). */
  Options: token<ResolvedOptions>('options'),
  /** Connection settings, to open dedicated connections (available from setup). */
  Connection: token<ConnectionOptions>('connection'),
  /** The session-configured pool (from the connect phase). */
  Pool: token<Pool>('pool'),
  Flavor: token<ServerFlavor>('flavor'),
  /** Schema, table and parsed statement (from the inspect phase). */
  Target: token<MigrationTarget>('target'),
  /** The source table as inspected before anything changed. */
  Source: token<TableInfo>('source'),
  Shadow: token<ShadowInfo>('shadow'),
  Replay: token<ReplayControl>('replay'),
  Copy: token<CopyControl>('copy'),
} as const;
