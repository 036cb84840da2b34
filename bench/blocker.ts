/**
 * The idle blocker of the `blocked` mode: a session that BEGINs, reads bench.t and idles (an ORM,
 * a forgotten console), holding the table's metadata lock until the migrator kills it or the run
 * ends. A tool that needs an exclusive lock (a swap, a checksum's LOCK TABLES) must deal with it
 * without leaving the application's queries queued behind its pending lock request.
 */
import mysql, { type Connection } from 'mysql2/promise';
import type { ServerInfo } from '../scripts/sandbox.ts';
import { qualified, TABLE } from './dataset.ts';

export interface BlockerOutcome {
  /** The blocker's session was gone when the run ended (a tool killed it). */
  killed: boolean;
  /** How long it had idled in its transaction when the run ended or it was found killed. */
  heldMs: number;
}

export interface IdleBlocker {
  /** Connection id of the blocker's session. */
  readonly id: number;
  /** Ends the blocker (ROLLBACK, close) and says whether it had been killed. */
  stop(): Promise<BlockerOutcome>;
}

export async function startIdleBlocker(server: ServerInfo): Promise<IdleBlocker> {
  const conn: Connection = await mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  let closedAt: number | undefined;
  conn.on('error', () => { closedAt ??= Date.now(); }); // killed: the server closes the connection
  const [[row]] = await conn.query('SELECT CONNECTION_ID() AS id') as unknown as [[{ id: number }]];
  await conn.query('BEGIN');
  await conn.query(`SELECT id FROM ${qualified(TABLE)} ORDER BY id LIMIT 1`);
  const began = Date.now();
  return {
    id: row!.id,
    async stop() {
      let killed = closedAt !== undefined;
      if (!killed) {
        try {
          await conn.query('ROLLBACK');
        } catch {
          killed = true;
          closedAt ??= Date.now();
        }
      }
      await conn.end().catch(() => undefined);
      return { killed, heldMs: (closedAt ?? Date.now()) - began };
    },
  };
}
