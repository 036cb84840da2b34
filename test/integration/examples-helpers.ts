/**
 * What the examples' tests share: the built CLI (examples/ import `sluice`, which resolves to the
 * package's own dist/ build, the module the built `migrate` runs on), loopback HTTP servers standing
 * in for a team's metrics endpoint, webhook and approval service, and a small table to migrate.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'mysql2/promise';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples');
const SOURCES = ['mod.ts', 'plugin-api.ts', 'testing.ts', 'core', 'plugins', 'cli', 'scripts/sandbox.ts', 'tsconfig.json', 'tsconfig.build.json'];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * Builds dist/ (npm run build) unless it is newer than every source, so the tests run the CLI a
 * user installs (`node bin/migrate.js`) and never a stale build. On a clean clone `npm ci` has
 * built it already (`prepare`).
 */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist', 'testing.js')).mtimeMs;
  } catch {
    // not built yet
  }
  const sources = Math.max(...SOURCES.map((s) => newestMtime(join(ROOT, s))));
  if (built > sources) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

export interface LoopbackServer {
  readonly url: string;
  /** Every request received: method, path and (for POST) the parsed JSON body. */
  readonly requests: Array<{ method: string; path: string; body: unknown }>;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (a free port) answering with `respond`. */
export async function loopbackServer(respond: (req: IncomingMessage, body: unknown, res: ServerResponse) => void | Promise<void>): Promise<LoopbackServer> {
  const requests: LoopbackServer['requests'] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => { text += d.toString(); });
    req.on('end', () => {
      let body: unknown = text;
      try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep the text */ }
      requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      void Promise.resolve(respond(req, body, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Answers JSON. */
export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A table `name` of `rows` rows (id, v, n). */
export async function makeTable(pool: Pool, name: string, rows: number): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${name}`);
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, n INT NULL)`);
  if (rows > 0) await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq), seq % 7 FROM seq_1_to_${rows}`);
}

export async function tableNames(pool: Pool, schema: string): Promise<string[]> {
  const [rows] = await pool.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [schema]);
  return (rows as Array<{ t: string }>).map((r) => r.t);
}

export async function showCreate(pool: Pool, table: string): Promise<string> {
  const [rows] = await pool.query(`SHOW CREATE TABLE ${table}`);
  return (rows as Array<Record<string, string>>)[0]!['Create Table']!;
}

export async function count(pool: Pool, table: string): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS c FROM ${table}`);
  return Number((rows as Array<{ c: number }>)[0]!.c);
}

/** The events of a `--json` run, one per line of stdout. */
export function jsonEvents(stdout: string): Array<Record<string, unknown>> {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}
