/** A hand-written SVG chart: panels of horizontal bars with min–max whiskers. No dependency. */

export interface Bar {
  label: string;
  /** The bar's length (the median). */
  value: number;
  min?: number;
  max?: number;
  /** Drawn inside the bar, darker (e.g. the copy phase of the end-to-end time). */
  inner?: number;
  color: string;
  /** Text after the bar; defaults to the value. */
  note?: string;
}

export interface Panel {
  title: string;
  unit: string;
  /** Logarithmic axis (latencies spanning milliseconds to seconds). */
  log?: boolean;
  bars: Bar[];
}

const WIDTH = 860;
const LABEL_W = 200;
const NOTE_W = 180;
const BAR_H = 18;
const GAP = 6;
const TITLE_H = 30;
const AXIS_H = 22;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function ticks(max: number, log: boolean, lo: number): number[] {
  if (log) {
    const out: number[] = [];
    for (let t = lo; t <= max * 1.0001; t *= 10) out.push(t);
    return out;
  }
  return [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
}

function fmt(v: number): string {
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return String(Math.round(v * 100) / 100);
}

function panelSvg(p: Panel, top: number): { svg: string; height: number } {
  const plotW = WIDTH - LABEL_W - NOTE_W;
  const values = p.bars.flatMap((b) => [b.value, b.max ?? b.value]).filter((v) => Number.isFinite(v) && v > 0);
  const rawMax = values.length ? Math.max(...values) : 1;
  const lo = p.log ? 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...values.filter((v) => v > 0), rawMax)))) : 0;
  const max = p.log ? 10 ** Math.ceil(Math.log10(rawMax)) : niceMax(rawMax);
  const x = (v: number) => {
    if (!Number.isFinite(v) || v <= 0) return LABEL_W;
    const f = p.log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.max(1e-9, Math.log10(max) - Math.log10(lo)) : v / max;
    return LABEL_W + Math.max(0, Math.min(1, f)) * plotW;
  };
  const out: string[] = [];
  out.push(`<text x="8" y="${top + 18}" class="title">${escapeXml(p.title)}</text>`);
  const plotTop = top + TITLE_H;
  const plotH = p.bars.length * (BAR_H + GAP);
  for (const t of ticks(max, !!p.log, lo)) {
    const tx = x(t === 0 ? 0 : t);
    const xx = t === 0 ? LABEL_W : tx;
    out.push(`<line x1="${xx.toFixed(1)}" y1="${plotTop - 4}" x2="${xx.toFixed(1)}" y2="${plotTop + plotH}" class="grid"/>`);
    out.push(`<text x="${xx.toFixed(1)}" y="${plotTop + plotH + 15}" class="tick">${fmt(t)}${t === max ? ` ${escapeXml(p.unit)}` : ''}</text>`);
  }
  p.bars.forEach((b, i) => {
    const y = plotTop + i * (BAR_H + GAP);
    out.push(`<text x="${LABEL_W - 8}" y="${y + BAR_H - 5}" class="label">${escapeXml(b.label)}</text>`);
    if (Number.isFinite(b.value) && b.value > 0) {
      out.push(`<rect x="${LABEL_W}" y="${y}" width="${(x(b.value) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${b.color}" fill-opacity="0.55"/>`);
      if (b.inner !== undefined && b.inner > 0) {
        out.push(`<rect x="${LABEL_W}" y="${y + 4}" width="${(x(b.inner) - LABEL_W).toFixed(1)}" height="${BAR_H - 8}" fill="${b.color}"/>`);
      }
      if (b.min !== undefined && b.max !== undefined && b.max > b.min) {
        const cy = y + BAR_H / 2;
        out.push(`<path d="M${x(b.min).toFixed(1)} ${cy}H${x(b.max).toFixed(1)}M${x(b.min).toFixed(1)} ${cy - 5}v10M${x(b.max).toFixed(1)} ${cy - 5}v10" class="whisker"/>`);
      }
    }
    const note = b.note ?? (Number.isFinite(b.value) ? `${fmt(b.value)} ${p.unit}` : 'n/a');
    out.push(`<text x="${WIDTH - NOTE_W + 8}" y="${y + BAR_H - 5}" class="note">${escapeXml(note)}</text>`);
  });
  return { svg: out.join('\n'), height: TITLE_H + plotH + AXIS_H + 10 };
}

export function renderChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const parts: string[] = [];
  let y = 50;
  for (const p of panels) {
    const { svg, height } = panelSvg(p, y);
    parts.push(svg);
    y += height;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="Helvetica, Arial, sans-serif">
<style>
.h1{font-size:16px;font-weight:bold}.sub{font-size:11px;fill:#555}.title{font-size:13px;font-weight:bold}
.label{font-size:12px;text-anchor:end}.note{font-size:11px;fill:#333}.tick{font-size:10px;fill:#666;text-anchor:middle}
.grid{stroke:#ddd;stroke-width:1}.whisker{stroke:#222;stroke-width:1.2;fill:none}
</style>
<rect width="100%" height="100%" fill="white"/>
<text x="8" y="20" class="h1">${escapeXml(title)}</text>
<text x="8" y="38" class="sub">${escapeXml(subtitle)}</text>
${parts.join('\n')}
</svg>
`;
}
