/**
 * Summarizes V8 CPU profiles (node --cpu-prof): self time per function and per package/folder,
 * so the hot spots of a Sluice run can be read without a profiler UI.
 *
 *   node --import tsx bench/profile.ts bench/results/raw/<run>/prof
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface Hot {
  name: string;
  ms: number;
  share: number;
}

/** Where a script lives: a package under node_modules, a project folder, node internals, or V8 states. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(${functionName || 'native'})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const proj = /\/(dist\/)?(core\/[^/]+|plugins\/[^/]+|cli|mod\.[jt]s)/.exec(url);
  return proj ? proj[2]! : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(p: CpuProfile, top = 15): { total: number; functions: Hot[]; areas: Hot[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\/.*?\/(node_modules|dist|core|plugins|cli)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + ms);
    const a = areaOf(cf.url, cf.functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
  }
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms: Math.round(ms), share: ms / total }));
  return { total: Math.round(total), functions: list(fn), areas: list(area) };
}

export function profileReport(dir: string, top = 15): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const out: string[] = [];
  for (const f of files) {
    const s = summarizeProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, top);
    out.push(`${f}: ${s.total} ms sampled`, '  by area:');
    for (const h of s.areas) out.push(`    ${(h.share * 100).toFixed(1).padStart(5)}%  ${String(h.ms).padStart(7)} ms  ${h.name}`);
    out.push('  hottest functions (self time):');
    for (const h of s.functions) out.push(`    ${(h.share * 100).toFixed(1).padStart(5)}%  ${String(h.ms).padStart(7)} ms  ${h.name}`);
  }
  return out.join('\n');
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx bench/profile.ts <folder with .cpuprofile files>');
    process.exit(2);
  }
  console.log(profileReport(dir));
}
