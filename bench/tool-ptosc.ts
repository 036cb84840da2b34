/**
 * pt-online-schema-change (Debian's percona-toolkit, installed with apt-get when missing and
 * running as root) with the same ALTER: triggers, chunked copy (--chunk-time 0.5), RENAME swap.
 * The password goes through a private defaults file (F=), never the command line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerInfo } from '../scripts/sandbox.ts';
import { SCHEMA, TABLE } from './dataset.ts';
import { BenchSetupError, BenchToolError } from './errors.ts';
import { runMeasured, type Line } from './proc.ts';
import type { Tool } from './tool-types.ts';

export const PT_OSC = 'pt-online-schema-change';

function findPtOsc(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    if (dir && existsSync(join(dir, PT_OSC))) return join(dir, PT_OSC);
  }
  return undefined;
}

/** The path of pt-online-schema-change, installing Debian's percona-toolkit when missing. */
export function ensurePtOsc(log: (s: string) => void): string {
  const found = findPtOsc();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new BenchSetupError(`${PT_OSC} not found: install it with "sudo apt-get install -y percona-toolkit", or run with --tools insert-select,alter-copy,sluice`);
  }
  log('installing percona-toolkit (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'percona-toolkit']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new BenchSetupError(`apt-get ${args[0]} failed (exit ${r.status}): install percona-toolkit by hand or leave pt-osc out with --tools`);
  }
  const installed = findPtOsc();
  if (!installed) throw new BenchSetupError(`percona-toolkit installed but ${PT_OSC} is still not on PATH: check the package`);
  return installed;
}

/** A defaults file with the credentials, readable by us only; remove() deletes it. */
export function credentialsFile(server: ServerInfo): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const path = join(dir, 'client.cnf');
  writeFileSync(path, `[client]\nuser=${server.user}\npassword=${server.password}\n`, { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Times of pt-osc's phase lines, as seen arriving (its own timestamps have 1 s resolution). */
export interface PtOscMarks {
  copyStart?: number;
  copyEnd?: number;
  swapStart?: number;
  swapEnd?: number;
}

export function markPtOscLine(marks: PtOscMarks, line: Pick<Line, 'at' | 'text'>): void {
  const t = line.text;
  if (/Copying approximately \d+ rows/.test(t)) marks.copyStart ??= line.at;
  else if (/Copied rows OK/.test(t)) marks.copyEnd ??= line.at;
  else if (/Swapping tables\.\.\./.test(t)) marks.swapStart ??= line.at;
  else if (/Swapped original and new tables OK/.test(t)) marks.swapEnd ??= line.at;
}

export function ptOscTool(path: string, defaultsFile: string): Tool {
  return async (env) => {
    const marks: PtOscMarks = {};
    const tail: string[] = [];
    const dsn = `F=${defaultsFile},h=${env.server.host},P=${env.server.port},D=${SCHEMA},t=${TABLE}`;
    const r = await runMeasured(path, [
      '--alter', env.alter, dsn, '--execute', '--recursion-method=none', '--chunk-time', '0.5',
    ], {
      logFile: env.logFile,
      timeoutMs: env.timeoutMs,
      onLine: (line) => {
        markPtOscLine(marks, line);
        tail.push(line.text);
        if (tail.length > 5) tail.shift();
      },
    });
    if (r.code !== 0) {
      throw new BenchToolError(PT_OSC, `${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`}: ${tail.join(' / ').slice(0, 300)}`);
    }
    return {
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      endToEndMs: r.wallMs,
      copyMs: marks.copyStart && marks.copyEnd ? marks.copyEnd - marks.copyStart : undefined,
      cutoverLockMs: marks.swapStart && marks.swapEnd ? marks.swapEnd - marks.swapStart : undefined,
      peakRssKb: r.peakRssKb,
      resultTable: TABLE,
    };
  };
}
