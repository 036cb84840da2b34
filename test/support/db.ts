/** Test helpers for the real server (the sandbox, or SLUICE_TEST_DSN). */
import { after } from 'node:test';
import mysql, { type Pool } from 'mysql2/promise';
import { testServer, type ServerInfo } from '../../scripts/sandbox.ts';
import type { ConnectionOptions } from '../../core/connection/connection.ts';

export function testConnection(database?: string, s: ServerInfo = testServer()): ConnectionOptions {
  return { host: s.host, port: s.port, user: s.user, password: s.password, database };
}

/** A plain pool (no Sluice session setup): what an application would use. */
export function appPool(database?: string, connectionLimit = 4, s: ServerInfo = testServer()): Pool {
  return mysql.createPool({
    host: s.host, port: s.port, user: s.user, password: s.password, database,
    connectionLimit, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true,
  });
}

/** Creates (replacing) a database for one test file and returns a pool on it. */
export async function freshDatabase(name: string, server: ServerInfo = testServer()): Promise<Pool> {
  const admin = appPool(undefined, 1, server);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
    await admin.query(`CREATE DATABASE ${mysql.escapeId(name)}`);
  } finally {
    await admin.end();
  }
  return appPool(name, 4, server);
}

/**
 * Databases for one test file: `database(name)` creates (replacing) one and returns a pool on it;
 * `own(pool)` hands over another pool; after the file's tests, every such database is dropped and
 * every pool ended.
 */
export function fileDatabases(): { database(name: string): Promise<Pool>; own(pool: Pool): Pool } {
  const pools: Pool[] = [];
  const names: string[] = [];
  after(async () => {
    const admin = appPool(undefined, 1);
    for (const db of names) await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(db)}`);
    await admin.end();
    for (const p of pools) await p.end();
  });
  return {
    async database(name) {
      const pool = await freshDatabase(name);
      pools.push(pool);
      names.push(name);
      return pool;
    },
    own(pool) {
      pools.push(pool);
      return pool;
    },
  };
}

/**
 * `deferIndexes` for the fidelity tests: SLUICE_DEFER_INDEXES=1 or 0 runs them with deferred
 * secondary indexes on or off (unset: the engine's default), so both modes are checked against the
 * same expectations (`npm run test:fidelity-indexes` runs them both ways).
 */
export function deferIndexesFromEnv(): { deferIndexes?: boolean } {
  const v = process.env.SLUICE_DEFER_INDEXES;
  if (v === undefined || v === '') return {};
  if (v !== '0' && v !== '1') throw new Error(`SLUICE_DEFER_INDEXES must be 0 or 1, got "${v}"`);
  return { deferIndexes: v === '1' };
}
