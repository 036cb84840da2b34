/**
 * The events of `migrate --json`, one JSON document per line on stdout, as a zod schema: the one
 * source for the JSON Schema published in schema/migrate.events.schema.json (`npm run schema:events`),
 * for the table in cli/README.md, and for the test that checks every line real runs print
 * (test/integration/cli-progress.test.ts). The type assertion at the end makes the compiler check
 * that every MigrationEvent the engine emits is one this schema describes.
 */
import { z } from 'zod';
import type { MigrationEvent, MigrationPlan } from '../mod.ts';

const count = z.number().int().nonnegative();
const time = z.iso.datetime().describe('when the event was emitted (ISO 8601, UTC)');
const key = z.array(z.unknown()).readonly().describe('a primary-key tuple, one value per key column');
const binlog = z.strictObject({ file: z.string(), position: count, gtid: z.string().optional() }).readonly();

const snapshot = z.strictObject({
  phase: z.string(),
  rowsCopied: count.describe('source rows the copy has covered, earlier runs included (= rowsResumed + rowsWritten + rowsSkipped)'),
  rowsWritten: count.describe('rows this run\'s copier wrote into the shadow table'),
  rowsSkipped: count.describe('rows this run\'s copier read that the shadow already had (replay wrote them first, or an interrupted run)'),
  rowsResumed: count.describe('rows earlier runs copied, at or below the point this run resumed from'),
  rowsBelowWatermark: count.describe('rows copied at or below the low watermark: what a resume from here counts as done'),
  chunks: count.describe('chunks this run copied'),
  rowsEstimate: count.describe('the table\'s row count as the server\'s statistics estimate it (an estimate)'),
  lowWatermark: z.union([key, z.null(), z.literal('done')]),
  binlog: binlog.nullable(),
  replayedEvents: count.describe('row events of the table replay received'),
  throttled: z.string().optional().describe('why the copier is paused'),
  oldTable: z.string().optional(),
}).readonly();

const result = z.strictObject({
  schema: z.string(),
  table: z.string(),
  mode: z.enum(['native', 'copy', 'dry-run']),
  durationMs: count,
  rowsCopied: count,
  rowsWritten: count,
  rowsSkipped: count,
  rowsResumed: count,
  chunks: count,
  replayEvents: count,
  phases: z.array(z.strictObject({ phase: z.string(), ms: count }).readonly()).readonly(),
  resumed: z.boolean(),
  cutover: z.strictObject({
    lockMs: count.describe('how long application writes were blocked'),
    renamedTo: z.string().describe('the name the original table got at the swap'),
    oldTable: z.string().nullable().describe('where the original table is now; null: dropped'),
  }).readonly().nullable(),
  warnings: z.array(z.string()).readonly(),
  plan: z.custom<MigrationPlan>((v) => typeof v === 'object' && v !== null).optional()
    .describe('the plan of a dry run (--dry-run): what a real run would do (see the dry run in README.md)'),
}).readonly();

const nullableCount = count.nullable();

export const eventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('phase'), time, phase: z.string(), state: z.enum(['start', 'end']), at: count.describe('ms since the epoch') }).readonly()
    .describe('a phase starts or ends'),
  z.strictObject({
    type: z.literal('progress'), time, snapshot,
    rowsPerSecond: nullableCount.describe('source rows the copy covers per second (last 30 s)'),
    etaSeconds: nullableCount.describe('seconds left for the copy at that rate against the estimate; 0 once copied'),
    percent: z.number().int().min(0).max(100).nullable().describe('rowsCopied of rowsEstimate; at most 99 until the copy is done'),
    elapsedMs: count,
    replayLagSeconds: nullableCount.describe('replay\'s applied position behind the binlog head, in seconds'),
    pendingKeys: count.describe('changed keys replay received and has not applied yet'),
  }).readonly().describe('the copy and replay, every progressInterval'),
  z.strictObject({
    type: z.literal('step'), time, step: z.string().describe('e.g. "checksum pass 1"'), unit: z.literal('rows'),
    done: count, total: count.describe('an estimate unless finished'), finished: z.boolean(),
    perSecond: nullableCount, etaSeconds: nullableCount, percent: z.number().int().min(0).max(100).nullable(),
  }).readonly().describe('progress of a step inside a phase (the checksum)'),
  z.strictObject({ type: z.literal('log'), time, level: z.enum(['debug', 'info', 'warn']), message: z.string() }).readonly(),
  z.strictObject({
    type: z.literal('key'), time, description: z.string(),
    key: z.strictObject({ columns: z.array(z.string()).readonly(), index: z.string(), shadowIndex: z.string() }).readonly(),
  }).readonly().describe('the key rows are copied, replayed, checksummed and resumed by (at start)'),
  z.strictObject({ type: z.literal('done'), time, result }).readonly().describe('the migration succeeded'),
  z.strictObject({
    type: z.literal('failed'), time, error: z.string(),
    name: z.string().describe('the error\'s class, e.g. ConnectFailedError'),
    code: z.string().optional().describe('its stable code (Sluice\'s, or the driver\'s such as ECONNREFUSED)'),
  }).readonly().describe('the migration failed (nothing is cut over; the checkpoint is kept)'),
  z.strictObject({ type: z.literal('cancelled'), time, reason: z.string() }).readonly(),
]);

export type JsonEvent = z.infer<typeof eventSchema>;

/** The JSON Schema of one line of `migrate --json`. */
export function eventJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'migrate --json event', ...z.toJSONSchema(eventSchema, { io: 'input', unrepresentable: 'any' }) };
}

// ── Every event the engine emits is one the schema describes (checked by the compiler) ─────────
// Both ways: a field the schema lacks, or one it has that events do not, fails here.
const covered: [MigrationEvent extends JsonEvent ? true : never, JsonEvent extends MigrationEvent ? true : never] = [true, true];
void covered;
