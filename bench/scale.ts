/**
 * The scale study: Sluice (and the INSERT…SELECT limit, for reference) idle at several table
 * sizes; time per million rows should stay flat (linear time) and so should peak RSS.
 */
import { join } from 'node:path';
import type { Pool } from 'mysql2/promise';
import type { ServerInfo } from '../scripts/sandbox.ts';
import type { BenchArgs, ToolName } from './args.ts';
import { renderChart, type Panel } from './chart.ts';
import { ensureSeed, resetTable } from './dataset.ts';
import { cell, TOOL_COLOR, TOOL_LABEL } from './report.ts';
import { purgeBinlogs, settle, type MachineInfo } from './server.ts';
import { spread, type Spread } from './stats.ts';
import { timeoutFor } from './comparison.ts';
import type { Tool } from './tool-types.ts';

export interface ScalePoint {
  rows: number;
  tool: ToolName;
  endToEnd?: Spread;
  copy?: Spread;
  rss?: Spread;
  failures: string[];
}

export async function runScale(
  args: BenchArgs, server: ServerInfo, pool: Pool, tools: Partial<Record<ToolName, Tool>>, rawDir: string, log: (s: string) => void,
): Promise<ScalePoint[]> {
  const names = (['sluice', 'insert-select'] as const).filter((t) => tools[t]);
  const points: ScalePoint[] = [];
  for (const rows of args.sizes) {
    await ensureSeed(pool, rows, log);
    const runs = new Map<ToolName, Array<{ e2e: number; copy?: number; rss?: number }>>();
    const failures = new Map<ToolName, string[]>();
    for (let r = 0; r < args.repeats; r++) {
      for (const tool of r % 2 === 0 ? names : [...names].reverse()) {
        await resetTable(pool);
        await purgeBinlogs(pool);
        await settle(pool);
        try {
          const m = await tools[tool]!({ server, pool, alter: args.alter, logFile: join(rawDir, `scale-${rows}-r${r + 1}-${tool}.log`), timeoutMs: timeoutFor(rows) });
          runs.set(tool, [...(runs.get(tool) ?? []), { e2e: m.endToEndMs, copy: m.copyMs, rss: m.peakRssKb === undefined ? undefined : m.peakRssKb / 1024 }]);
          log(`scale ${rows} r${r + 1} ${tool}: ${(m.endToEndMs / 1000).toFixed(2)} s${m.peakRssKb ? `, RSS ${Math.round(m.peakRssKb / 1024)} MB` : ''}`);
        } catch (err) {
          failures.set(tool, [...(failures.get(tool) ?? []), err instanceof Error ? err.message : String(err)]);
          log(`scale ${rows} r${r + 1} ${tool}: failed — ${err instanceof Error ? err.message : err}`);
        }
      }
    }
    for (const tool of names) {
      const list = runs.get(tool) ?? [];
      points.push({
        rows, tool, endToEnd: spread(list.map((x) => x.e2e)), copy: spread(list.map((x) => x.copy)),
        rss: spread(list.map((x) => x.rss)), failures: failures.get(tool) ?? [],
      });
    }
  }
  return points;
}

const perMillion = (s: Spread | undefined, rows: number) => (s ? (s.median / 1000) / (rows / 1e6) : undefined);

export function renderScaleMarkdown(points: readonly ScalePoint[], machine: MachineInfo, date: Date, command: string, alter: string, repeats: number): string {
  const out = [
    '# Scale: time and peak RSS per table size', '',
    `- **Date:** ${date.toISOString().replace('T', ' ').slice(0, 16)} UTC · **Machine:** ${machine.cpus} CPUs, ${machine.memGiB} GiB · ${machine.server} (buffer pool ${machine.bufferPoolMiB} MiB)`,
    `- **Command:** \`${command}\` · **ALTER:** \`ALTER TABLE t ${alter}\` · idle · median (min–max) of ${repeats}`, '',
    '| rows | tool | end to end (s) | copy phase (s) | end to end per million rows (s) | copy per million rows (s) | peak RSS (MB) |', '|---|---|---|---|---|---|---|',
  ];
  for (const p of points) {
    const pm = perMillion(p.endToEnd, p.rows);
    const cm = perMillion(p.copy, p.rows);
    out.push(`| ${p.rows.toLocaleString('en-US')} | ${TOOL_LABEL[p.tool]} | ${cell(p.endToEnd, 0.001, 2)} | ${cell(p.copy, 0.001, 2)} | ${pm === undefined ? '—' : pm.toFixed(2)} | ${cm === undefined ? '—' : cm.toFixed(2)} | ${cell(p.rss, 1, 0)} |`);
  }
  for (const p of points) for (const f of p.failures) out.push('', `- ${TOOL_LABEL[p.tool]} at ${p.rows} rows failed: ${f}`);
  out.push('', 'Linear time shows as a flat "copy per million rows" (end to end also carries a fixed cost: process start, verification, cutover); flat memory as a flat peak RSS.', '', '![scale chart](scale.svg)', '');
  return out.join('\n');
}

export function renderScaleSvg(points: readonly ScalePoint[], machine: MachineInfo, date: Date, alter: string): string {
  const tools = [...new Set(points.map((p) => p.tool))];
  const label = (p: ScalePoint) => `${p.tool === 'sluice' ? 'Sluice' : 'INSERT…SELECT'} ${p.rows >= 1e6 ? `${p.rows / 1e6}M` : `${p.rows / 1e3}k`}`;
  const panels: Panel[] = [
    {
      title: 'Copy phase: seconds per million rows (flat = linear time)', unit: 's/M',
      bars: tools.flatMap((t) => points.filter((p) => p.tool === t).map((p) => ({ label: label(p), color: TOOL_COLOR[t], value: perMillion(p.copy, p.rows) ?? NaN }))),
    },
    {
      title: 'End to end (whiskers: min–max)', unit: 's',
      bars: tools.flatMap((t) => points.filter((p) => p.tool === t).map((p) => ({
        label: label(p), color: TOOL_COLOR[t], value: (p.endToEnd?.median ?? NaN) / 1000, min: (p.endToEnd?.min ?? NaN) / 1000, max: (p.endToEnd?.max ?? NaN) / 1000,
      }))),
    },
    {
      title: 'Sluice peak RSS (flat = memory independent of size)', unit: 'MB',
      bars: points.filter((p) => p.tool === 'sluice').map((p) => ({ label: label(p), color: TOOL_COLOR.sluice, value: p.rss?.median ?? NaN, min: p.rss?.min, max: p.rss?.max })),
    },
  ];
  return renderChart(`Scale: ALTER TABLE t ${alter}`, `${date.toISOString().slice(0, 10)} · ${machine.cpus} CPUs · ${machine.server}`, panels);
}
