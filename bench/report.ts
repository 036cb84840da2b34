/** The comparison's report: per-tool medians (min–max), ratios, goals; as markdown and as an SVG chart. */
import type { Mode, ToolName } from './args.ts';
import { renderChart, type Panel } from './chart.ts';
import { LOAD_TAIL_MS, type ComparisonResult } from './comparison.ts';
import type { TableSize } from './dataset.ts';
import type { ReplayRun } from './replay-step.ts';
import type { MachineInfo } from './server.ts';
import { ratio, spread, type Spread } from './stats.ts';
import type { ToolRun } from './tool-types.ts';

export interface ReportInput {
  date: Date;
  command: string;
  commit: string;
  machine: MachineInfo;
  rows: number;
  alter: string;
  size: TableSize;
  loadRate: number;
  replayRows: number;
  repeats: number;
  tools: ToolName[];
  modes: Mode[];
  sluiceCli: string;
  /** 1-minute load average of the machine when the bench started and when it ended (other work adds noise). */
  loadAvg: [number, number];
  result: ComparisonResult;
}

export const TOOL_LABEL: Record<ToolName, string> = {
  'insert-select': 'INSERT…SELECT (limit)',
  'alter-copy': 'ALTER … ALGORITHM=COPY',
  'pt-osc': 'pt-online-schema-change',
  sluice: 'Sluice',
};

export const TOOL_COLOR: Record<ToolName, string> = {
  'insert-select': '#7f8c8d',
  'alter-copy': '#b0a46a',
  'pt-osc': '#c0392b',
  sluice: '#2471a3',
};

export interface ToolStats {
  tool: ToolName;
  mode: Mode;
  ok: number;
  runs: number;
  endToEnd?: Spread;
  copy?: Spread;
  lock?: Spread;
  rss?: Spread;
  p50?: Spread;
  p99?: Spread;
  max?: Spread;
  /** The load's longest write stall (LoadSummary.longestStallMs). */
  stall?: Spread;
  /** Load errors summed over the repeats; of those, deadlocks and lock wait timeouts. */
  errors?: number;
  deadlocks?: number;
  lockWaits?: number;
  /** Load errors summed over the repeats by server error number ("1213", "1205", "client", …). */
  errorsByCode: Record<string, number>;
  /** Blocked runs: how many killed the idle blocker. */
  blockersKilled?: number;
  errorKinds: string[];
  unverified: number;
  failures: string[];
}

function sumCodes(all: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const codes of all) for (const [code, n] of Object.entries(codes)) out[code] = (out[code] ?? 0) + n;
  return out;
}

/** "1213 ×3, 1205 ×1" (most frequent first), "—" when none. */
export function codesCell(codes: Record<string, number>): string {
  const e = Object.entries(codes).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([c, n]) => `${c} ×${n}`).join(', ') : '—';
}

export function aggregate(runs: readonly ToolRun[], tool: ToolName, mode: Mode): ToolStats {
  const mine = runs.filter((r) => r.tool === tool && r.mode === mode);
  const ok = mine.filter((r) => r.ok);
  const loads = ok.map((r) => r.load).filter((l) => l !== undefined);
  return {
    tool, mode, ok: ok.length, runs: mine.length,
    endToEnd: spread(ok.map((r) => r.endToEndMs)),
    copy: spread(ok.map((r) => r.copyMs)),
    lock: spread(ok.map((r) => r.cutoverLockMs)),
    rss: spread(ok.map((r) => (r.peakRssKb === undefined ? undefined : r.peakRssKb / 1024))),
    p50: spread(loads.map((l) => l.p50)),
    p99: spread(loads.map((l) => l.p99)),
    max: spread(loads.map((l) => l.max)),
    stall: spread(loads.map((l) => l.longestStallMs)),
    errors: loads.length ? loads.reduce((n, l) => n + l.errors, 0) : undefined,
    deadlocks: loads.length ? loads.reduce((n, l) => n + (l.deadlocks ?? 0), 0) : undefined,
    lockWaits: loads.length ? loads.reduce((n, l) => n + (l.lockWaits ?? 0), 0) : undefined,
    errorsByCode: sumCodes(loads.map((l) => l.errorsByCode ?? {})),
    blockersKilled: mode === 'blocked' ? ok.filter((r) => r.blocker?.killed).length : undefined,
    errorKinds: [...new Set(loads.flatMap((l) => l.errorKinds.map((k) => k.error)))],
    unverified: ok.filter((r) => r.verified === false).length,
    failures: mine.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
  };
}

const num = (v: number, digits: number) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "median (min–max)" with `digits` decimals after scaling by `k`; "—" when missing. */
export function cell(s: Spread | undefined, k = 1, digits = 1): string {
  if (!s) return '—';
  const m = num(s.median * k, digits);
  return s.n > 1 && s.max > s.min ? `${m} (${num(s.min * k, digits)}–${num(s.max * k, digits)})` : m;
}

const times = (r: number | undefined) => (r === undefined ? '—' : `${r.toFixed(2)}×`);

export function replaySpread(replay: readonly ReplayRun[]): Spread | undefined {
  return spread(replay.filter((r) => r.ok).map((r) => r.eventsPerSec));
}

/** "Sluice's time by phase": median ms of each phase (and startup/exit) per mode. */
export function phaseBreakdown(runs: readonly ToolRun[], modes: readonly Mode[]): string | undefined {
  const parts: string[] = [];
  for (const mode of modes) {
    const mine = runs.filter((r) => r.tool === 'sluice' && r.mode === mode && r.ok && r.phases);
    if (mine.length === 0) continue;
    const names = [...new Set(mine.flatMap((r) => Object.keys(r.phases!)))];
    const cells = names.map((n) => `${n} ${num(spread(mine.map((r) => r.phases![n]))?.median ?? NaN, 0)}`);
    parts.push(`${mode}: ${cells.join(' · ')}`);
  }
  return parts.length ? `Sluice's time by phase (median ms; startup = process start to first event, exit = done to process exit): ${parts.join('; ')}.` : undefined;
}

export function renderMarkdown(input: ReportInput): string {
  const { result, machine: m } = input;
  const stats = input.modes.flatMap((mode) => input.tools.map((tool) => aggregate(result.runs, tool, mode)));
  const get = (tool: ToolName, mode: Mode) => stats.find((s) => s.tool === tool && s.mode === mode);
  const rep = replaySpread(result.replay);
  const out: string[] = [];
  out.push(`# Benchmark: Sluice vs pt-online-schema-change vs the server's own copy`, '');
  out.push(`- **Date:** ${input.date.toISOString().replace('T', ' ').slice(0, 16)} UTC · **commit** ${input.commit}`);
  out.push(`- **Machine:** ${m.cpus} CPUs (nproc; ${m.cpuModel}), ${m.memGiB} GiB RAM · ${m.server} (buffer pool ${m.bufferPoolMiB} MiB, binlog ROW/FULL) · Node ${m.node} · load average ${input.loadAvg[0].toFixed(1)} at start, ${input.loadAvg[1].toFixed(1)} at end`);
  out.push(`- **Command:** \`${input.command}\``);
  out.push(`- **Table:** \`bench.t\`, ${input.rows.toLocaleString('en-US')} rows (${input.size.dataMiB} MiB data + ${input.size.indexMiB} MiB indexes; BIGINT auto-increment PK, INT/DECIMAL/VARCHAR/JSON/DATETIME(6) columns, two secondary indexes) · **ALTER:** \`ALTER TABLE t ${input.alter}\``);
  out.push(`- **Load** (loaded runs): a separate process, one connection, ${input.loadRate} writes/s (50% insert, 35% update, 15% delete by random id), latency measured from when each write was due; counted while the tool runs and ${LOAD_TAIL_MS / 1000} s after. "Longest write stall": the longest time with a write due and none completing.${input.modes.includes('blocked') ? ' **Blocked** runs: the same load, plus a session that BEGINs, reads `t` and idles until the run ends or it is killed (the online tools only).' : ''}`);
  out.push(`- **Repeats:** ${input.repeats} per tool and mode, tool order rotated each repeat; cells are median (min–max). Sluice ran as the ${input.sluiceCli}.`);
  out.push('');
  out.push('| tool | mode | ok | end to end (s) | copy phase (s) | replay (row events/s) | cutover lock (ms) | peak RSS (MB) | load p50 (ms) | load p99 (ms) | load max (ms) | longest write stall (ms) | load errors | of which deadlocks / lock waits | errors by code |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of stats) {
    const replayCell = s.tool === 'sluice' ? (s.mode === 'idle' ? cell(rep, 1, 0) : '(idle step)') : s.tool === 'pt-osc' ? 'in triggers' : '—';
    const lockCell = s.tool === 'alter-copy' ? `${cell(s.lock, 1, 0)} (whole run)` : s.tool === 'insert-select' ? '—' : cell(s.lock, 1, 0);
    out.push(`| ${TOOL_LABEL[s.tool]} | ${s.mode} | ${s.ok}/${s.runs} | ${cell(s.endToEnd, 0.001, 2)} | ${cell(s.copy, 0.001, 2)} | ${replayCell} | ${lockCell} | ${cell(s.rss, 1, 0)} | ${cell(s.p50, 1, 0)} | ${cell(s.p99, 1, 0)} | ${cell(s.max, 1, 0)} | ${cell(s.stall, 1, 0)} | ${s.errors ?? '—'} | ${s.errors === undefined ? '—' : `${s.deadlocks ?? 0} / ${s.lockWaits ?? 0}`} | ${s.errors === undefined ? '—' : codesCell(s.errorsByCode)} |`);
  }
  const phaseLine = phaseBreakdown(result.runs, input.modes);
  if (phaseLine) out.push('', phaseLine);
  if (result.baseline) {
    const b = result.baseline;
    out.push('', `Load alone (no migration, 10 s): p50 ${b.p50} ms, p99 ${b.p99} ms, max ${b.max} ms, longest stall ${b.longestStallMs ?? '—'} ms, ${b.errors} errors over ${b.ops} writes.`);
  }
  out.push('', '## Ratios (of medians)', '');
  out.push('| ratio | idle | loaded | goal |', '|---|---|---|---|');
  const r = (a: ToolName, ka: keyof ToolStats, b: ToolName, kb: keyof ToolStats, mode: Mode) =>
    ratio(get(a, mode)?.[ka] as Spread | undefined, get(b, mode)?.[kb] as Spread | undefined);
  out.push(`| Sluice copy phase ÷ INSERT…SELECT | ${times(r('sluice', 'copy', 'insert-select', 'copy', 'idle'))} | ${times(r('sluice', 'copy', 'insert-select', 'copy', 'loaded'))} | ≤ 1.05× idle |`);
  out.push(`| Sluice end to end ÷ pt-osc end to end | ${times(r('sluice', 'endToEnd', 'pt-osc', 'endToEnd', 'idle'))} | ${times(r('sluice', 'endToEnd', 'pt-osc', 'endToEnd', 'loaded'))} | ≤ 0.8× idle, ≤ 0.6× loaded |`);
  out.push(`| Sluice end to end ÷ INSERT…SELECT | ${times(r('sluice', 'endToEnd', 'insert-select', 'copy', 'idle'))} | ${times(r('sluice', 'endToEnd', 'insert-select', 'copy', 'loaded'))} | (for reference) |`);
  out.push(`| load p99 under Sluice ÷ under pt-osc | — | ${times(r('sluice', 'p99', 'pt-osc', 'p99', 'loaded'))} | < 1× |`);
  const sl = get('sluice', 'idle');
  const sll = get('sluice', 'loaded');
  out.push('', '## Goals', '');
  out.push(`- Replay ≥ 20,000 row events/s: **${rep ? num(rep.median, 0) : 'not measured'}**${rep ? ` (${input.replayRows.toLocaleString('en-US')}-row UPDATE; commit → applied; min–max ${num(rep.min, 0)}–${num(rep.max, 0)})` : ''}`);
  const recv = spread(result.replay.filter((x) => x.ok).map((x) => x.receivedPerSec));
  if (recv) out.push(`  - of which receiving and decoding (commit → all ${input.replayRows.toLocaleString('en-US')} events received): ${num(recv.median, 0)} row events/s`);
  const slb = get('sluice', 'blocked');
  for (const [label, st] of [['loaded', sll], ['loaded with an idle blocker', slb]] as const) {
    if (st?.stall) out.push(`- Longest write stall ≤ 500 ms, ${label}: **${cell(st.stall, 1, 0)} ms** (errors by code: ${codesCell(st.errorsByCode)})`);
  }
  if (slb && slb.blockersKilled !== undefined) out.push(`  - the idle blocker was killed by Sluice in ${slb.blockersKilled} of ${slb.ok} blocked run(s)`);
  if (sll?.errors !== undefined) out.push(`- Application deadlocks and lock wait timeouts under Sluice's loaded runs = 0: **${sll.deadlocks ?? 0} deadlocks, ${sll.lockWaits ?? 0} lock waits** (${sll.errors} load errors in all)`);
  out.push(`- Cutover lock ≤ 500 ms: **${cell(sl?.lock, 1, 0)} ms** idle, **${cell(sll?.lock, 1, 0)} ms** loaded`);
  out.push(`- Peak RSS < 200 MB: **${cell(sl?.rss, 1, 0)} MB** idle, **${cell(sll?.rss, 1, 0)} MB** loaded (flatness across sizes: \`npm run bench -- --scale\`, bench/results/scale.md)`);
  const notes: string[] = [];
  for (const s of stats) {
    if (s.unverified) notes.push(`${TOOL_LABEL[s.tool]} (${s.mode}): ${s.unverified} run(s) ended with data different from the seed.`);
    for (const f of s.failures) notes.push(`${TOOL_LABEL[s.tool]} (${s.mode}) failed: ${f}`);
    if (s.errors) notes.push(`${TOOL_LABEL[s.tool]} (${s.mode}): ${s.errors} load write(s) failed: ${s.errorKinds.slice(0, 3).map((e) => `\`${e}\``).join('; ')}`);
  }
  for (const x of result.replay) if (!x.ok) notes.push(`replay step ${x.repeat + 1} failed: ${x.error}`);
  out.push('', '## Notes', '');
  out.push('- Idle results are checked against the seed (row count and CRC32 aggregates over every column); ' +
    `${stats.filter((s) => s.mode === 'idle').every((s) => s.unverified === 0) ? 'all matched' : 'see below'}.`);
  out.push('- "copy phase": Sluice from its `--json` phase events; pt-osc from "Copying approximately…" to "Copied rows OK."; the server statements are all copy.');
  out.push('- "cutover lock": Sluice reports how long writes were blocked; pt-osc from "Swapping tables…" to "Swapped original and new tables OK." (its RENAME); `ALGORITHM=COPY` blocks writes for the whole statement.');
  out.push('- "replay": Sluice applies binlog row events; pt-osc copies changes synchronously in triggers (the cost lands on the application\'s writes).');
  for (const n of notes) out.push(`- ${n}`);
  out.push('', '![chart](latest.svg)', '');
  return out.join('\n');
}

export function renderSvg(input: ReportInput): string {
  const panels: Panel[] = [];
  for (const mode of input.modes) {
    panels.push({
      title: `End to end, ${mode} (darker: copy phase; whiskers: min–max)`,
      unit: 's',
      bars: input.tools.map((tool) => {
        const s = aggregate(input.result.runs, tool, mode);
        return {
          label: TOOL_LABEL[tool], color: TOOL_COLOR[tool],
          value: (s.endToEnd?.median ?? NaN) / 1000, min: (s.endToEnd?.min ?? NaN) / 1000, max: (s.endToEnd?.max ?? NaN) / 1000,
          inner: s.copy ? s.copy.median / 1000 : undefined,
          note: s.endToEnd ? `${(s.endToEnd.median / 1000).toFixed(2)} s${s.copy ? ` (copy ${(s.copy.median / 1000).toFixed(2)})` : ''}` : 'failed',
        };
      }),
    });
  }
  if (input.modes.includes('loaded')) {
    panels.push({
      title: `Write latency p99 during the migration (log scale; load ${input.loadRate}/s)`,
      unit: 'ms',
      log: true,
      bars: [
        ...(input.result.baseline ? [{ label: 'no migration', color: '#27ae60', value: Math.max(1, input.result.baseline.p99), note: `${input.result.baseline.p99} ms` }] : []),
        ...input.tools.map((tool) => {
          const s = aggregate(input.result.runs, tool, 'loaded');
          return {
            label: TOOL_LABEL[tool], color: TOOL_COLOR[tool],
            value: Math.max(1, s.p99?.median ?? NaN), min: s.p99 ? Math.max(1, s.p99.min) : undefined, max: s.p99 ? Math.max(1, s.p99.max) : undefined,
            note: s.p99 ? `${Math.round(s.p99.median)} ms${s.errors ? `, ${s.errors} errors` : ''}` : 'n/a',
          };
        }),
      ],
    });
  }
  const m = input.machine;
  return renderChart(
    `ALTER TABLE t ${input.alter} — ${input.rows.toLocaleString('en-US')} rows`,
    `${input.date.toISOString().slice(0, 10)} · ${m.cpus} CPUs, ${m.memGiB} GiB · ${m.server} · median of ${input.repeats}`,
    panels,
  );
}
