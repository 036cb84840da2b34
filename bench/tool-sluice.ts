/** Sluice through its real CLI (`migrate --json`, --no-native so it always copies). */
import { basename } from 'node:path';
import mysql from 'mysql2/promise';
import { TABLE } from './dataset.ts';
import { BenchToolError } from './errors.ts';
import { runMeasured } from './proc.ts';
import { SluiceEvents, sluiceCommand, type SluiceCli } from './sluice-cli.ts';
import type { Tool } from './tool-types.ts';

export function sluiceTool(cli: SluiceCli, opts: { threads?: number; cpuProfDir?: string; extra?: readonly string[] }): Tool {
  return async (env) => {
    const events = new SluiceEvents();
    const stderr: string[] = [];
    const { args, env: childEnv } = sluiceCommand(cli, {
      server: env.server, statement: `ALTER TABLE ${mysql.escapeId(TABLE)} ${env.alter}`, threads: opts.threads,
      cpuProfDir: opts.cpuProfDir, cpuProfName: `${basename(env.logFile, '.log')}.cpuprofile`, extra: opts.extra,
    });
    const r = await runMeasured(process.execPath, args, {
      env: childEnv,
      logFile: env.logFile,
      timeoutMs: env.timeoutMs,
      onLine: (line) => {
        if (line.stream === 'stdout') events.feed(line.text, line.at);
        else stderr.push(line.text);
      },
    });
    if (r.code !== 0 || !events.done) {
      const why = events.failed ?? stderr.slice(-2).join(' / ');
      throw new BenchToolError('sluice', `${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`}: ${why.slice(0, 300)}`);
    }
    return {
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      endToEndMs: r.wallMs,
      copyMs: events.phaseMs('copy'),
      cutoverLockMs: events.lockMs,
      peakRssKb: r.peakRssKb,
      phases: events.breakdown(r.startedAt, r.endedAt),
      resultTable: TABLE,
    };
  };
}
