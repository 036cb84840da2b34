/** What the copier's workers pull chunks from. Calls to next() are serialized by the copier. */
import type { Queryable } from '../connection/connection.ts';
import type { ChunkInfo } from '../types.ts';

export interface Chunker {
  /** The next chunk of about `rows` rows, in key order, or null when the table is covered. */
  next(db: Queryable, rows: number): Promise<ChunkInfo | null>;
  /** A chunk finished with `rows` rows (lets a chunker learn the key density). */
  observe(chunk: ChunkInfo, rows: number): void;
}

export interface TableRef {
  readonly schema: string;
  readonly name: string;
}
