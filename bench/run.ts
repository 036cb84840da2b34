/**
 * `npm run bench`: Sluice against pt-online-schema-change and the server's own copy, idle and
 * under a write load, on the benchmark's own sandbox. See bench/README.md.
 *
 *   npm run bench -- [--rows 1000000] [--alter "ENGINE=InnoDB"] [--repeats 3] [--scale] …
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE, type ToolName } from './args.ts';
import { runComparison } from './comparison.ts';
import { columnsOf, digest, dropWorkTables, ensureSeed, SEED, tableSize } from './dataset.ts';
import { profileReport } from './profile.ts';
import { renderMarkdown, renderSvg } from './report.ts';
import { renderScaleMarkdown, renderScaleSvg, runScale } from './scale.ts';
import { adminPool, machineInfo, startBenchServer } from './server.ts';
import { prepareSluiceCli, ROOT } from './sluice-cli.ts';
import { alterCopy, insertSelect } from './tool-sql.ts';
import { credentialsFile, ensurePtOsc, ptOscTool } from './tool-ptosc.ts';
import { sluiceTool } from './tool-sluice.ts';
import type { Tool } from './tool-types.ts';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function gitCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

async function main(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const date = new Date();
  const loadAvgStart = loadavg()[0]!;
  const rawDir = join(RESULTS, 'raw', date.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(rawDir, { recursive: true });
  const log = (s: string) => {
    console.log(`bench: ${s}`);
    appendFileSync(join(rawDir, 'bench.log'), `${new Date().toISOString()} ${s}\n`);
  };
  const command = ['npm run bench', ...(argv.length ? ['--', ...argv.map(shellQuote)] : [])].join(' ');
  log(`${command} (raw logs: ${rawDir})`);

  const cli = args.tools.includes('sluice') ? prepareSluiceCli(args.build, log) : undefined;
  const ptOsc = args.tools.includes('pt-osc') && !args.scale ? ensurePtOsc(log) : undefined;
  const server = await startBenchServer(args.port, args.scale ? Math.max(...args.sizes) : args.rows);
  const pool = adminPool(server);
  const creds = ptOsc ? credentialsFile(server) : undefined;
  const cpuProfDir = args.cpuProf ? join(rawDir, 'prof') : undefined;
  try {
    const machine = await machineInfo(pool);
    log(`server ${machine.server} on port ${server.port}, buffer pool ${machine.bufferPoolMiB} MiB; ${machine.cpus} CPUs, ${machine.memGiB} GiB`);
    const tools: Partial<Record<ToolName, Tool>> = {
      'insert-select': insertSelect,
      'alter-copy': alterCopy,
      ...(ptOsc && creds ? { 'pt-osc': ptOscTool(ptOsc, creds.path) } : {}),
      ...(cli ? { sluice: sluiceTool(cli, { threads: args.threads, cpuProfDir, extra: args.sluiceFlags }) } : {}),
    };

    if (args.scale) {
      const points = await runScale(args, server, pool, tools, rawDir, log);
      writeFileSync(join(RESULTS, 'scale.md'), renderScaleMarkdown(points, machine, date, command, args.alter, args.repeats));
      writeFileSync(join(RESULTS, 'scale.svg'), renderScaleSvg(points, machine, date, args.alter));
      writeFileSync(join(rawDir, 'scale.json'), JSON.stringify({ args, machine, points }, null, 2));
      log(`wrote ${join(RESULTS, 'scale.md')} and scale.svg`);
    } else {
      await ensureSeed(pool, args.rows, log);
      const seedDigest = await digest(pool, SEED, await columnsOf(pool, SEED));
      const size = await tableSize(pool, SEED);
      const result = await runComparison({
        args, server, pool, tools, rawDir, seedDigest, log,
        replay: cli && args.tools.includes('sluice') ? { cli, threads: args.threads, cpuProfDir, extra: args.sluiceFlags } : undefined,
      });
      const report = {
        date, command, commit: gitCommit(), machine, rows: args.rows, alter: args.alter, size, loadRate: args.loadRate,
        replayRows: args.replayRows, repeats: args.repeats, tools: args.tools, modes: args.modes, sluiceCli: `${cli?.note ?? 'n/a'}${args.sluiceFlags.length ? ` with \`${args.sluiceFlags.join(' ')}\`` : ''}`,
        loadAvg: [loadAvgStart, loadavg()[0]!] as [number, number], result,
      };
      const md = renderMarkdown(report);
      writeFileSync(join(RESULTS, 'latest.md'), md);
      writeFileSync(join(RESULTS, 'latest.svg'), renderSvg(report));
      writeFileSync(join(rawDir, 'results.json'), JSON.stringify(report, null, 2));
      console.log(`\n${md}`);
      log(`wrote ${join(RESULTS, 'latest.md')} and latest.svg`);
    }
    if (cpuProfDir) {
      const text = profileReport(cpuProfDir);
      writeFileSync(join(rawDir, 'profile.txt'), text);
      console.log(`\nSluice CPU profiles (${cpuProfDir}):\n${text}`);
    }
    await dropWorkTables(pool);
    return 0;
  } finally {
    creds?.remove();
    await pool.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`bench: error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
