/** Phase `connect`: one session-configured pool for the whole run, and what server this is. */
import { createTableLocks, OwnSessions } from '../blockers/service.ts';
import { openPool, serverFlavor, describeConnection } from '../connection/connection.ts';
import { connectFailure } from '../connection/connect-errors.ts';
import { StuckQueryWatchdog } from '../connection/watchdog.ts';
import { InvalidOptionError } from '../errors.ts';
import { MAX_THREADS } from '../options.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { Tokens } from '../tokens.ts';

const ER_BAD_DB_ERROR = 1049;

export const connectPhase: Phase = {
  name: 'connect',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    // copy workers (up to MAX_THREADS: `threads=N` may raise them while the copy runs; connections
    // are opened only when used) + replay flush + checksum + plugins' queries
    const pool = openPool(options.connection, options.session, Math.max(options.threads, MAX_THREADS) + 6);
    // Every connection of the pool (copy, replay flushes, re-copies) is Sluice's own: never killed as a blocker.
    const own = new OwnSessions();
    own.trackPool(pool);
    await ctx.defer('connection pool', () => pool.end());
    // after an abort, a query that never returns must not keep the run from settling
    const watchdog = new StuckQueryWatchdog(pool, ctx.signal, { connection: options.connection, log: ctx.log });
    await ctx.defer('stuck-query watchdog', () => watchdog.dispose());
    const flavor = await serverFlavor(pool).catch((err: { errno?: number }) => {
      if (err?.errno === ER_BAD_DB_ERROR) {
        throw new InvalidOptionError(`database "${options.connection.database}" does not exist on the server: check --database (or connection.database)`);
      }
      throw connectFailure(err, options.connection) ?? err;
    });
    ctx.provide(Tokens.Pool, pool);
    ctx.provide(Tokens.Flavor, flavor);
    ctx.provide(Tokens.Locks, createTableLocks(options.locks, own, ctx.log));
    ctx.log.info(`connected to ${describeConnection(options.connection)} (${flavor.version})`);
  },
};
