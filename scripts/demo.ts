/**
 * `npm run demo`: the main job on a local sandbox. Starts the sandbox, creates `demo.orders` with a
 * few hundred thousand rows, runs a write load against it, migrates it online through the real
 * `migrate` CLI, stops the load, and checks every row against an independent expectation.
 *
 *   npm run demo [-- --rows 300000 --statement "ALTER TABLE orders ..."]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { startSandbox, describeServer } from './sandbox.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '300000' },
    statement: { type: 'string', default: 'ALTER TABLE orders ADD COLUMN note VARCHAR(32) NULL DEFAULT NULL, MODIFY amount DECIMAL(14,2) NOT NULL, ADD INDEX idx_customer_created (customer_id, created_at)' },
    threads: { type: 'string', default: '2' },
  },
});
const ROWS = Number(values.rows);

const server = await startSandbox();
console.log(`demo: sandbox at ${describeServer(server)}`);
const pool = mysql.createPool({ ...server, database: undefined, connectionLimit: 8, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
await pool.query('DROP DATABASE IF EXISTS demo');
await pool.query('CREATE DATABASE demo');
await pool.query('USE demo');
await pool.query(`CREATE TABLE demo.orders (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  payload JSON NULL,
  created_at DATETIME(6) NOT NULL,
  KEY idx_status (status)
) DEFAULT CHARSET=utf8mb4`);
console.log(`demo: loading ${ROWS.toLocaleString('en-US')} rows…`);
for (let done = 0; done < ROWS; done += 50_000) {
  const n = Math.min(50_000, ROWS - done);
  await pool.query(`INSERT INTO demo.orders (customer_id, amount, status, payload, created_at)
    SELECT seq % 5000, (seq * 7919 % 100000) / 100, ELT(1 + seq % 4, 'new','paid','shipped','cancelled'),
      JSON_OBJECT('sku', CONCAT('SKU-', seq % 997), 'qty', seq % 9), TIMESTAMP('2026-01-01') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND
    FROM seq_${done + 1}_to_${done + n}`);
}

// The application: inserts, updates and deletes at a steady pace until the migration is over.
let stopLoad = false;
const stats = { inserts: 0, updates: 0, deletes: 0, errors: 0 };
const load = (async () => {
  const conn = await pool.getConnection();
  try {
    let i = 0;
    while (!stopLoad) {
      i++;
      try {
        const op = i % 4;
        if (op === 0 || op === 1) {
          await conn.query(`INSERT INTO demo.orders (customer_id, amount, payload, created_at) VALUES (?, ?, JSON_OBJECT('live', ?), NOW(6))`, [i % 5000, (i % 1000) + 0.25, i]);
          stats.inserts++;
        } else if (op === 2) {
          await conn.query(`UPDATE demo.orders SET amount = amount + 1, status = 'paid' WHERE id = ?`, [1 + ((i * 7919) % ROWS)]);
          stats.updates++;
        } else {
          await conn.query(`DELETE FROM demo.orders WHERE id = ?`, [1 + ((i * 104729) % ROWS)]);
          stats.deletes++;
        }
      } catch {
        stats.errors++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    conn.release();
  }
})();

// A plugin stops the load right before cutover and snapshots the source: the expectation.
const pluginPath = fileURLToPath(new URL('./demo-expectation-plugin.ts', import.meta.url));
const cli = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const configDir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/sluice-demo-'));
await import('node:fs/promises').then((fs) => fs.writeFile(`${configDir}/migrate.config.mjs`,
  `export default { plugins: [${JSON.stringify(pluginPath)}] };\n`));

console.log(`demo: migrating online: ${values.statement}`);
const started = Date.now();
const child = spawn(process.execPath, ['--import', 'tsx', cli,
  '--host', server.host, '--port', String(server.port), '--user', server.user, '--database', 'demo',
  '--threads', String(values.threads), '--statement', values.statement!, '--config', `${configDir}/migrate.config.mjs`],
  { stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, MYSQL_PWD: server.password } });
child.stderr.on('data', (chunk: Buffer) => {
  const text = chunk.toString();
  process.stderr.write(text);
  if (text.includes('demo-expectation: load stop requested') && !stopLoad) {
    stopLoad = true;
    void load.then(() => pool.query('CREATE TABLE demo._load_stopped (id INT)'));
  }
});
const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
stopLoad = true;
await load;
if (code !== 0) {
  console.error(`demo: migrate exited with ${code}`);
  process.exit(1);
}
console.log(`demo: migration took ${((Date.now() - started) / 1000).toFixed(1)} s while the load did ${stats.inserts} inserts, ${stats.updates} updates, ${stats.deletes} deletes (${stats.errors} errors)`);

// Compare the migrated table with demo._expected (the source at cutover, altered natively by the server).
const [diff] = await pool.query(`SELECT
   (SELECT COUNT(*) FROM demo.orders) AS migrated,
   (SELECT COUNT(*) FROM demo._expected) AS expected,
   (SELECT COUNT(*) FROM demo.orders o LEFT JOIN demo._expected e ON e.id = o.id
      WHERE e.id IS NULL OR NOT (o.customer_id <=> e.customer_id AND o.amount <=> e.amount AND o.status <=> e.status
        AND o.payload <=> e.payload AND o.created_at <=> e.created_at AND o.note <=> e.note)) AS differing`);
const row = (diff as Array<{ migrated: number; expected: number; differing: number }>)[0]!;
const [[created]] = await pool.query('SHOW CREATE TABLE demo.orders') as unknown as [[Record<string, string>]];
const [[expectedCreated]] = await pool.query('SHOW CREATE TABLE demo._expected') as unknown as [[Record<string, string>]];
const sameShape = created!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, '').replace('`orders`', 'T') ===
  expectedCreated!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, '').replace('`_expected`', 'T');
await pool.end();
if (Number(row.differing) === 0 && Number(row.migrated) === Number(row.expected) && sameShape) {
  console.log(`demo: OK: all ${Number(row.migrated).toLocaleString('en-US')} rows match the independent expectation, and the table has the new definition`);
} else {
  console.error(`demo: MISMATCH: migrated ${row.migrated} rows, expected ${row.expected}, ${row.differing} differ; same definition: ${sameShape}`);
  process.exit(1);
}
