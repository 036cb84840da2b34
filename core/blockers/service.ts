/**
 * The migration's lock service (Tokens.Locks): its policy, the ids of its own sessions (every
 * connection of its pool, and those added), and lockTables() with both built in.
 */
import type { Pool } from 'mysql2/promise';
import type { Queryable } from '../connection/connection.ts';
import { BlockerFinder } from './find.ts';
import { lockTables } from './lock.ts';
import type { LockLog, LockPolicy, TableLocks } from './types.ts';

/** Server ids of a migration's own sessions. */
export class OwnSessions {
  readonly #ids = new Set<number>();

  add(id: number | undefined | null): void {
    if (typeof id === 'number' && id > 0) this.#ids.add(id);
  }

  /** Records every connection the pool opens (mysql2 emits 'connection' for each new one). */
  trackPool(pool: Pool): void {
    pool.pool.on('connection', (c: { threadId?: number | null }) => this.add(c.threadId));
  }

  ids(): number[] {
    return [...this.#ids];
  }
}

export function createTableLocks(policy: LockPolicy, own: OwnSessions, log: LockLog): TableLocks {
  const finders = new WeakMap<object, Promise<BlockerFinder>>();
  let told = false;
  const finderFor = async (db: Queryable): Promise<BlockerFinder> => {
    // One detection per control session (cheap, and a server does not change its views mid-run).
    let f = finders.get(db);
    if (!f) {
      f = BlockerFinder.detect(db);
      finders.set(db, f);
    }
    const finder = await f;
    if (finder.hint && !told && policy.killBlockers) {
      told = true;
      log.info(`blockers: ${finder.hint}; until then a session counts as a blocker when its transaction is older than Sluice's wait for the lock`);
    }
    return finder;
  };
  return {
    policy,
    ownSessionIds: () => own.ids(),
    async lock(request) {
      const finder = await finderFor(request.control);
      return lockTables({ ...request, own: [...own.ids(), ...(request.own ?? [])] }, policy, finder, log);
    },
  };
}
