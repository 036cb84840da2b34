/**
 * Durations in options and flags: a number of milliseconds, or a string of `<number><unit>` parts
 * with units ms, s, m, h, d ('500ms', '5s', '2m', '168h', '1h30m'); a bare numeric string is ms.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*/gy;

/** Milliseconds, or undefined when the value is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    end = PART.lastIndex;
  }
  return end === text.length ? total : undefined;
}

/**
 * An option that must be a duration: `fallbackMs` when undefined, else whole milliseconds of at
 * least `minMs` (default: more than 0). `fail` builds the caller's typed error from a one-line message.
 */
export function durationOption(
  name: string,
  value: unknown,
  fallbackMs: number,
  fail: (message: string) => Error,
  minMs = 1,
): number {
  if (value === undefined) return fallbackMs;
  const ms = parseDuration(value);
  if (ms === undefined || ms < minMs || ms > Number.MAX_SAFE_INTEGER) {
    throw fail(`${name} must be a duration of at least ${formatDuration(minMs)} in ms or like '500ms', '5s', '2m', '168h', got ${JSON.stringify(value)}: fix ${name}`);
  }
  return Math.round(ms);
}

/** A short human form: '950ms', '12.5s', '3m20s', '7d0h'. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
