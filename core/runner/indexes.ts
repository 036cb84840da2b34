/**
 * Phase `indexes`: the shadow's deferred secondary indexes (core/shadow/deferred-indexes.ts) are
 * built in one online ALTER while replay keeps flushing. Nothing to do when none were deferred
 * (--no-defer-indexes, a table without plain secondary indexes, or a resumed run whose shadow has
 * them all already). Replay's lag from the build is caught up by verify and cutover as usual.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { Phase } from '../lifecycle/migration.ts';
import { buildIndexes } from '../shadow/deferred-indexes.ts';
import { Tokens } from '../tokens.ts';
import { reportProgress, withReplay } from './replay-loops.ts';
import { RunStateToken } from './state.ts';

export const indexesPhase: Phase = {
  name: 'indexes',
  async run(ctx) {
    const state = ctx.resolve(RunStateToken);
    state.phase = 'indexes';
    const pending = state.deferredIndexes;
    if (pending.length === 0) return;
    const pool = ctx.resolve(Tokens.Pool);
    const source = ctx.resolve(Tokens.Source);
    const shadow = ctx.resolve(Tokens.Shadow);
    const names = pending.map((i) => i.name).join(', ');
    ctx.log.info(`building the deferred index(es) ${names} on ${shadow.name} (online, replay continues)`);
    const started = Date.now();
    await withReplay(ctx, async (signal) => {
      const conn: PoolConnection = await pool.getConnection();
      // An abort stops the build at once (the ALTER rolls back; a rerun resumes and builds again).
      const kill = () => { void pool.query(`KILL QUERY ${Number(conn.threadId)}`).catch(() => undefined); };
      signal.addEventListener('abort', kill, { once: true });
      try {
        await buildIndexes(conn, source.schema, shadow.name, pending);
      } finally {
        signal.removeEventListener('abort', kill);
        conn.release();
      }
      signal.throwIfAborted();
    }, { what: 'the index build' });
    state.deferredIndexes = [];
    ctx.log.info(`deferred index(es) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await reportProgress(ctx);
  },
};
