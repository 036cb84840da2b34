/**
 * The limit, run by the server itself: one `INSERT INTO copy SELECT … FROM t` into a copy created
 * LIKE t with the ALTER applied (creation not timed), and, for reference, the offline
 * `ALTER TABLE t …, ALGORITHM=COPY` (it blocks writes for its whole duration).
 */
import mysql from 'mysql2/promise';
import { commonColumns, qualified, TABLE } from './dataset.ts';
import type { Tool } from './tool-types.ts';

export const COPY_TABLE = 'copy';

export const insertSelect: Tool = async (env) => {
  const conn = await env.pool.getConnection();
  try {
    await conn.query(`CREATE TABLE ${qualified(COPY_TABLE)} LIKE ${qualified(TABLE)}`);
    await conn.query(`ALTER TABLE ${qualified(COPY_TABLE)} ${env.alter}`);
    const cols = (await commonColumns(env.pool, TABLE, COPY_TABLE)).map((c) => mysql.escapeId(c)).join(', ');
    const startedAt = Date.now();
    await conn.query(`INSERT INTO ${qualified(COPY_TABLE)} (${cols}) SELECT ${cols} FROM ${qualified(TABLE)}`);
    const endedAt = Date.now();
    const ms = endedAt - startedAt;
    return { startedAt, endedAt, endToEndMs: ms, copyMs: ms, resultTable: COPY_TABLE };
  } finally {
    conn.release();
  }
};

export const alterCopy: Tool = async (env) => {
  const conn = await env.pool.getConnection();
  try {
    const startedAt = Date.now();
    await conn.query(`ALTER TABLE ${qualified(TABLE)} ${env.alter}, ALGORITHM=COPY`);
    const endedAt = Date.now();
    const ms = endedAt - startedAt;
    return { startedAt, endedAt, endToEndMs: ms, copyMs: ms, cutoverLockMs: ms, resultTable: TABLE };
  } finally {
    conn.release();
  }
};
