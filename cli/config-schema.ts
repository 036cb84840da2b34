/**
 * The shape of a config file, as a zod schema: one source for the checks the CLI makes on a file,
 * the JSON Schema published for editors (schema/migrate.config.schema.json, `npm run schema`), and,
 * through the type assertions at the end, the guarantee that it names exactly the keys of
 * `SluiceConfig` (a key added to the options without adding it here fails the typecheck).
 *
 * It checks names and types; ranges and cross-field rules stay with the engine and the plugins,
 * which check them for programmatic callers too.
 */
import { z } from 'zod';
import type { SluiceConfig } from '../mod.ts';

const whole = (min = 0) => z.number().int().min(min);
/** ms as a number, or a string such as '500ms', '5s', '2m', '168h'. */
const duration = z.union([z.number().nonnegative(), z.string()]);

const ssl = z.strictObject({
  mode: z.enum(['DISABLED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY']).optional(),
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
});

const connection = z.strictObject({
  host: z.string().optional(),
  port: whole(1).max(65_535).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().optional(),
  socketPath: z.string().optional(),
  ssl: ssl.optional(),
});

const checksum = z.union([z.boolean(), z.strictObject({
  enabled: z.boolean().optional(),
  threads: whole(1).optional(),
  rowsPerChunk: whole(1).optional(),
  maxPasses: whole(1).optional(),
  snapshotMaxAge: duration.optional(),
})]);

const throttle = z.strictObject({
  maxLoad: whole().optional(),
  criticalLoad: whole().optional(),
  replicas: z.array(z.string()).optional(),
  maxReplicaLag: duration.optional(),
  lagReadTimeout: duration.optional(),
  pauseFile: z.string().optional(),
  throttleQuery: z.string().optional(),
  failAfter: duration.optional(),
  throttlers: z.array(z.looseObject({})).optional(),
  interval: duration.optional(),
});

const lock = z.strictObject({ refreshInterval: duration.optional() });

const checkpoint = z.strictObject({
  strict: z.boolean().optional(),
  interval: duration.optional(),
  maxAge: duration.optional(),
});

const hooks = z.strictObject({
  path: z.string().optional(),
  hint: z.string().optional(),
  hintOwner: z.string().optional(),
  hintToken: z.string().optional(),
  statusInterval: duration.optional(),
  timeout: duration.optional(),
});

const metrics = z.strictObject({ port: whole().max(65_535).optional(), host: z.string().optional() });

/** A plugin object (from a JS/TS config) or a module specifier. */
const plugin = z.union([z.string(), z.looseObject({ name: z.string() })]);

export const configSchema = z.strictObject({
  connection: connection.optional(),
  statement: z.string().optional(),
  threads: whole(1).optional(),
  targetChunkMs: whole(1).optional(),
  lockWaitTimeout: whole(1).optional(),
  deferCutover: z.boolean().optional(),
  keepOldTable: z.boolean().optional(),
  tryNative: z.boolean().optional(),
  cutoverAttempts: whole(1).optional(),
  progressIntervalMs: whole(1).optional(),
  reconnectTimeout: whole(1).optional(),
  lockConflictTimeout: whole(1).optional(),
  copyYields: z.boolean().optional(),
  dryRun: z.boolean().optional(),
  discardForeignKeys: z.boolean().optional(),
  alterForeignKeysMethod: z.enum(['none', 'rebuild-constraints', 'drop-swap']).optional(),
  rebuildChildMaxRows: whole(1).optional(),
  deferIndexes: z.boolean().optional(),
  killBlockers: z.boolean().optional(),
  killBlockersAfter: z.number().nonnegative().optional(),
  lockStallTimeout: whole(1).optional(),
  sqlMode: z.string().optional(),
  timeZone: z.string().optional(),
  serverId: whole(1).optional(),
  controlSocket: z.union([z.string(), z.boolean()]).optional(),
  controlPort: whole().max(65_535).optional(),
  plugins: z.array(plugin).optional(),
  checksum: checksum.optional(),
  throttle: throttle.optional(),
  lock: lock.optional(),
  checkpoint: checkpoint.optional(),
  hooks: hooks.optional(),
  metrics: metrics.optional(),
  strict: z.boolean().optional(),
  disablePlugins: z.array(z.string()).optional(),
});

/** The JSON Schema for editors (`"$schema"` in .migraterc.json), from the same source. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { unrepresentable: 'any' }),
    title: 'Sluice migrate config',
    description: 'A config file of the `migrate` CLI (migrate.config.*, .migraterc*, package.json#migrate).',
  };
}

export interface ConfigProblem {
  /** The key, dotted (`throttle.maxLoad`), or '' for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** The problems of a config object, one line each, with a suggestion for unknown keys. */
export function configProblems(config: unknown): ConfigProblem[] {
  const parsed = configSchema.safeParse(config);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue): ConfigProblem[] => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path.map(String));
      return issue.keys.map((key) => {
        const near = nearest(key, known);
        return { path: at ? `${at}.${key}` : key, message: `unknown option "${at ? `${at}.${key}` : key}"${near ? ` (did you mean "${at ? `${at}.${near}` : near}"?)` : ''}` };
      });
    }
    return [{ path: at, message: `${at || 'the config'} ${describeIssue(issue, config)}` }];
  });
}

/** Keys whose values may hold a password: never echoed, not even in a type error. */
const SECRET_PATH = /password|token|replicas|dsn/i;

function describeIssue(issue: z.core.$ZodIssue, config: unknown): string {
  const path = issue.path.map(String);
  const got = SECRET_PATH.test(path.join('.')) ? '(value not shown)' : JSON.stringify(valueAt(config, path));
  switch (issue.code) {
    case 'invalid_type': return `must be ${article(issue.expected)}, got ${got}`;
    case 'invalid_value': return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${got}`;
    case 'too_small': return `must be at least ${String(issue.minimum)}, got ${got}`;
    case 'too_big': return `must be at most ${String(issue.maximum)}, got ${got}`;
    case 'invalid_union': return `has the wrong type (${got}): see the JSON Schema or migrate --help`;
    default: return `is invalid (${got}): ${issue.message}`;
  }
}

function article(type: string): string {
  if (type === 'int') return 'a whole number';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

function knownKeysAt(path: readonly string[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    schema = unwrap(schema);
    if (!(schema instanceof z.ZodObject)) return [];
    const next = schema.shape[key] as z.ZodType | undefined;
    if (!next) return [];
    schema = next;
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Optional and union wrappers down to the object inside (a union of boolean and object: the object). */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => unwrap(o) instanceof z.ZodObject) ?? s.options[0] as z.ZodType;
    else return s;
  }
}

/** The known key closest to `key` (edit distance ≤ 2, or one is a prefix of the other), if any. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const n = name.toLowerCase();
    const d = n.startsWith(k) || k.startsWith(n) ? Math.min(1, levenshtein(k, n)) : levenshtein(k, n);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

// ── The schema names exactly the keys of SluiceConfig (checked by the compiler) ────────────────
type Schema = z.infer<typeof configSchema>;
type Exact<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : { extra: Exclude<keyof A, keyof B>; missing: Exclude<keyof B, keyof A> };
type ObjectOf<T> = Extract<NonNullable<T>, object>;
const keysMatch: {
  top: Exact<Schema, SluiceConfig>;
  connection: Exact<ObjectOf<Schema['connection']>, ObjectOf<SluiceConfig['connection']>>;
  ssl: Exact<ObjectOf<ObjectOf<Schema['connection']>['ssl']>, ObjectOf<ObjectOf<SluiceConfig['connection']>['ssl']>>;
  checksum: Exact<ObjectOf<Schema['checksum']>, ObjectOf<SluiceConfig['checksum']>>;
  throttle: Exact<ObjectOf<Schema['throttle']>, ObjectOf<SluiceConfig['throttle']>>;
  lock: Exact<ObjectOf<Schema['lock']>, ObjectOf<SluiceConfig['lock']>>;
  checkpoint: Exact<ObjectOf<Schema['checkpoint']>, ObjectOf<SluiceConfig['checkpoint']>>;
  hooks: Exact<ObjectOf<Schema['hooks']>, ObjectOf<SluiceConfig['hooks']>>;
  metrics: Exact<ObjectOf<Schema['metrics']>, ObjectOf<SluiceConfig['metrics']>>;
} = { top: true, connection: true, ssl: true, checksum: true, throttle: true, lock: true, checkpoint: true, hooks: true, metrics: true };
void keysMatch;
