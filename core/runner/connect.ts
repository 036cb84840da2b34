/** Phase `connect`: one session-configured pool for the whole run, and what server this is. */
import { openPool, serverFlavor, describeConnection } from '../connection/connection.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { Tokens } from '../tokens.ts';

export const connectPhase: Phase = {
  name: 'connect',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    // copy workers + replay flush + checksum + plugins' queries
    const pool = openPool(options.connection, options.session, options.threads + 6);
    await ctx.defer('connection pool', () => pool.end());
    const flavor = await serverFlavor(pool);
    ctx.provide(Tokens.Pool, pool);
    ctx.provide(Tokens.Flavor, flavor);
    ctx.log.info(`connected to ${describeConnection(options.connection)} (${flavor.version})`);
  },
};
