/**
 * Runs a measured child process: wall time, peak RSS (VmHWM from /proc/<pid>/status, polled),
 * stdout/stderr line by line (with the time each line arrived) into a log file, and a timeout.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Line {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  startedAt: number;
  endedAt: number;
  wallMs: number;
  /** Highest VmHWM seen, in KiB (undefined if never read). */
  peakRssKb: number | undefined;
  timedOut: boolean;
}

export interface ProcOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  timeoutMs: number;
  onLine?: (line: Line) => void;
  pollMs?: number;
}

/** VmHWM of a live process in KiB, or undefined when it is gone. */
export function readPeakRssKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function runMeasured(cmd: string, args: readonly string[], opts: ProcOptions): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    log.write(`$ ${cmd} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
    const startedAt = Date.now();
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let peak: number | undefined;
    let timedOut = false;
    const poll = () => {
      if (child.pid === undefined) return;
      const kb = readPeakRssKb(child.pid);
      if (kb !== undefined) peak = Math.max(peak ?? 0, kb);
    };
    const poller = setInterval(poll, opts.pollMs ?? 100);
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) child.kill('SIGTERM');
      setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 10_000).unref();
    }, opts.timeoutMs);
    const lines = (stream: 'stdout' | 'stderr', input: NodeJS.ReadableStream) => {
      const rl = createInterface({ input });
      rl.on('line', (text) => {
        const line: Line = { at: Date.now(), stream, text };
        log.write(`${new Date(line.at).toISOString()} ${stream === 'stderr' ? 'E' : 'O'} ${text}\n`);
        poll();
        opts.onLine?.(line);
      });
      return new Promise<void>((done) => rl.on('close', done));
    };
    const closed = Promise.all([lines('stdout', child.stdout!), lines('stderr', child.stderr!)]);
    child.on('error', (err) => {
      clearInterval(poller);
      clearTimeout(timer);
      log.end();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      const endedAt = Date.now();
      clearInterval(poller);
      clearTimeout(timer);
      void closed.then(() => {
        log.write(`# exit ${code ?? signal} after ${endedAt - startedAt} ms, peak RSS ${peak ?? '?'} kB\n`);
        log.end();
        resolve({ code, signal, startedAt, endedAt, wallMs: endedAt - startedAt, peakRssKb: peak, timedOut });
      });
    });
  });
}
