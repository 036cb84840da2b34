/**
 * A team's own throttler as a query: pause while its first column is non-zero, e.g.
 *   queryThrottler({ query: 'SELECT COUNT(*) FROM ops.freeze WHERE active' })
 * It runs on the migration's pool, or on its own connection (a DSN or connection options).
 * No row, NULL or 0 means go on (anything else, even non-numeric, pauses); a failing query pauses (fail closed) until it works again.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { Tokens, type ConnectionOptions, type PluginContext, type Queryable } from '../../plugin-api.ts';
import { parseDsn } from './dsn.ts';
import { ThrottlerOptionError } from './errors.ts';
import { ServerConnection } from './server-connection.ts';
import { NOT_THROTTLED, type ThrottleState, type Throttler } from './types.ts';

/** Bound on one run of the query (on its own connection too): a hung query counts as a failed check. */
const QUERY_TIMEOUT_MS = 5000;

export interface QueryThrottlerOptions {
  /** A SELECT whose first column, when non-zero, pauses the copy. */
  query: string;
  /** Where to run it: `mysql://user:pass@host:port` or connection options (default: the migration's pool). */
  connection?: string | ConnectionOptions;
  /** Values for `?` placeholders in the query. */
  values?: unknown[];
  /** Name shown in reasons (default 'query'). */
  name?: string;
}

export function queryThrottler(options: QueryThrottlerOptions): Throttler {
  if (typeof options?.query !== 'string' || options.query.trim() === '') {
    throw new ThrottlerOptionError('queryThrottler needs a query, e.g. SELECT COUNT(*) FROM ops.freeze WHERE active: fix throttleQuery');
  }
  const name = options.name ?? 'query';
  const own = options.connection === undefined ? undefined
    : new ServerConnection(typeof options.connection === 'string' ? parseDsn(options.connection, 'queryThrottler connection').connection : options.connection, { queryTimeoutMs: QUERY_TIMEOUT_MS });
  let pool: Queryable | undefined;
  const run = async (): Promise<Record<string, unknown>[]> => {
    if (own) return own.query(options.query, options.values);
    if (!pool) throw new Error('the query throttler was not opened');
    const [rows] = await pool.query<RowDataPacket[]>({ sql: options.query, values: options.values, timeout: QUERY_TIMEOUT_MS });
    return rows;
  };
  return {
    name,
    open(ctx: PluginContext) {
      if (!own) pool = ctx.resolve(Tokens.Pool);
    },
    async check(): Promise<ThrottleState> {
      const [row] = await run();
      const value = row === undefined ? undefined : Object.values(row)[0];
      if (value === undefined || value === null) return NOT_THROTTLED;
      if (Number(String(value)) === 0) return NOT_THROTTLED; // 0, '0', '0.00', 0n
      return { throttled: true, reason: `${name} throttler: its query returned ${String(value)}` };
    },
    async dispose() {
      await own?.close();
    },
  };
}
