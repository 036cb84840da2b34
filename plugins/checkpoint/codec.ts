/**
 * The copier's low watermark as JSON, losslessly: null (nothing copied yet), "done" (every row
 * copied), or an array with one value per primary-key column. Numbers stay numbers, strings
 * (BIGINT beyond 2^53 and DECIMAL as decimal strings, dates, text) stay strings, Buffers (BINARY
 * and VARBINARY keys) become {"$hex": "…"}, BigInts become their decimal string.
 */
import type { KeyTuple } from '../../plugin-api.ts';

export type Watermark = KeyTuple | null | 'done';

/** Thrown by encode/decode; the caller turns it into its typed error. */
export class WatermarkCodecError extends Error {}

export function encodeWatermark(value: Watermark): string {
  if (value === null || value === 'done') return JSON.stringify(value);
  if (!Array.isArray(value) || value.length === 0) throw new WatermarkCodecError('the low watermark is not a key tuple');
  return JSON.stringify(value.map(encodeValue));
}

function encodeValue(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new WatermarkCodecError(`key value ${i + 1} is not a finite number`);
    return v;
  }
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return { $hex: v.toString('hex') };
  const kind = v === null ? 'null' : v instanceof Date ? 'Date' : typeof v;
  throw new WatermarkCodecError(`key value ${i + 1} has type ${kind}, which the checkpoint cannot store exactly`);
}

export function decodeWatermark(text: unknown): Watermark {
  if (typeof text !== 'string') throw new WatermarkCodecError('the low watermark is not text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WatermarkCodecError('the low watermark is not valid JSON');
  }
  if (parsed === null || parsed === 'done') return parsed;
  if (!Array.isArray(parsed) || parsed.length === 0) throw new WatermarkCodecError('the low watermark is neither null, "done" nor a key tuple');
  return parsed.map(decodeValue);
}

function decodeValue(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const hex = (v as { $hex?: unknown }).$hex;
    if (keys.length === 1 && typeof hex === 'string' && /^(?:[0-9a-f]{2})*$/.test(hex)) return Buffer.from(hex, 'hex');
  }
  throw new WatermarkCodecError(`key value ${i + 1} of the low watermark does not decode`);
}
