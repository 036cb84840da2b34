/** Starts the load process (bench/load.ts) and stops it, returning its samples. */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerInfo } from '../scripts/sandbox.ts';
import { BenchSetupError } from './errors.ts';
import type { Sample } from './load-stats.ts';

const LOAD_SCRIPT = fileURLToPath(new URL('./load.ts', import.meta.url));

export interface RunningLoad {
  /** SIGTERM, wait for the process, read its samples. */
  stop(): Promise<Sample[]>;
}

export async function startLoad(server: ServerInfo, rate: number, samplesFile: string, logFile: string): Promise<RunningLoad> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', LOAD_SCRIPT,
    '--host', server.host, '--port', String(server.port), '--user', server.user, '--rate', String(rate), '--samples', samplesFile],
  { cwd: fileURLToPath(new URL('..', import.meta.url)), env: { ...process.env, MYSQL_PWD: server.password }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BenchSetupError('the load process did not start within 30 s: see its log in bench/results/raw/')), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (chunk.toString().includes('load: ready')) { clearTimeout(timer); resolve(); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new BenchSetupError(`the load process exited (${code}) before it started: see its log in bench/results/raw/`)); });
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      log.end();
      if (code !== 0) throw new BenchSetupError(`the load process exited with ${code}: see its log in bench/results/raw/`);
      return JSON.parse(readFileSync(samplesFile, 'utf8')) as Sample[];
    },
  };
}
