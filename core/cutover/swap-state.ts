/** After an uncertain RENAME: which tables exist says whether the swap happened. */
import type { Queryable } from '../connection/connection.ts';
import type { SwapNames } from './names.ts';
import { existingTables } from './tables.ts';

export interface SwapTables {
  readonly schema: string;
  readonly table: string;
  readonly shadow: string;
  readonly swap: SwapNames;
}

export type SwapState = 'swapped' | 'not-swapped' | 'unknown';

export async function inspectSwap(db: Queryable, t: SwapTables): Promise<{ state: SwapState; found: string[] }> {
  const have = await existingTables(db, t.schema, [t.table, t.shadow, t.swap.shadow, t.swap.old]);
  const found = [...have];
  // RENAME t TO <t>~old, <t>~new TO t is atomic: either both moves happened or neither.
  if (have.has(t.table) && have.has(t.swap.old) && !have.has(t.swap.shadow) && !have.has(t.shadow)) return { state: 'swapped', found };
  if (have.has(t.table) && !have.has(t.swap.old) && have.has(t.swap.shadow) !== have.has(t.shadow)) return { state: 'not-swapped', found };
  return { state: 'unknown', found };
}
