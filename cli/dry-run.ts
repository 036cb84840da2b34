/** `migrate --dry-run`: the plan of a real run, for a person (the --json form is the `done` event's result.plan). */
import type { MigrationPlan } from '../mod.ts';

const n = (v: number) => v.toLocaleString('en-US');

function bytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? x : x.toFixed(1)} ${units[i]}`;
}

function method(p: MigrationPlan): string {
  if (p.method === 'copy') return `copy to a shadow table, then cutover${p.methodNote ? ` (native ${p.methodNote})` : ' (the server cannot do it in place: tried on an empty, unlogged copy)'}`;
  if (p.method === 'unknown') return `not known: ${p.methodNote ?? 'the server could not be asked'}; a real run tries in place first, else copies`;
  return `in place by the server (ALGORITHM=${p.method.toUpperCase()}): no copy, done in seconds`;
}

function settings(s: Readonly<Record<string, unknown>> | undefined): string {
  if (!s || Object.keys(s).length === 0) return '';
  return ` ${Object.entries(s).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`;
}

export function formatPlan(p: MigrationPlan): string {
  const lines = [
    `dry run of ${p.schema}.${p.table}: nothing was changed`,
    `  statement  ${p.statement}`,
    `  method     ${method(p)}`,
  ];
  if (p.shadow) {
    const e = p.estimate;
    lines.push(
      `  key        ${p.key.columns.join(', ')} (copy in ${p.key.chunking} chunks; replay applies changes by it)`,
      `  size       ~${n(e.rows)} rows (the server's estimate), data ${bytes(e.dataBytes)}, indexes ${bytes(e.indexBytes)}`,
      e.sample && e.copySeconds !== null
        ? `  copy time  ~${e.copySeconds < 0.1 ? 'under 0.1' : e.copySeconds} s (an estimate: every row read at the rate of a sample, ${n(e.sample.rows)} rows in ${e.sample.ms} ms; writing the shadow's indexes and throttling add to it)`
        : '  copy time  not estimated (the table looks empty)',
    );
    const cols = p.shadow.droppedColumns === null ? 'not known (no unlogged copy could be made)'
      : `dropped (data not copied): ${p.shadow.droppedColumns.join(', ') || 'none'}; added (defaults): ${p.shadow.addedColumns?.join(', ') || 'none'}`;
    lines.push(`  columns    ${cols}`, `  shadow     ${p.shadow.name}:`);
    lines.push(...(p.shadow.definition ?? '(definition not known: no copy of the structure could be made without writing to the binlog)').split('\n').map((l) => `    ${l}`));
  }
  lines.push(`  plugins    ${p.plugins.length === 0 ? 'none' : ''}`);
  for (const plugin of p.plugins) lines.push(`    ${plugin.name}${settings(plugin.settings)}`);
  if (p.leftovers.length > 0) lines.push(`  leftovers  ${p.leftovers.join(', ')}: a real run resumes from them, or drops them and starts fresh`);
  return lines.join('\n');
}
