/**
 * The effective settings of one `migrate` run, and where each value came from. Layers, lowest first:
 * defaults < config file < MYSQL_PWD < --defaults-file [client] < flags < --ask-pass. `--print-config`
 * shows the result with each value's source; a password is never shown.
 */
import { configDefaults, type SluiceConfig } from '../mod.ts';
import { askPass } from './ask-pass.ts';
import { leafPaths, loadConfig, mergeConfig } from './config.ts';
import { readDefaultsFile } from './defaults-file.ts';
import type { CliFlags } from './flags.ts';

export interface Settings {
  /** What the run gets (defaults are not merged in: the engine and plugins apply their own). */
  readonly config: SluiceConfig;
  /** The config file, if one was found. */
  readonly filepath: string | undefined;
  /** For each dotted path set by some layer, that layer's name. */
  readonly sources: ReadonlyMap<string, string>;
}

export async function resolveSettings(flags: CliFlags, env: NodeJS.ProcessEnv = process.env, ask = askPass): Promise<Settings> {
  const loaded = await loadConfig(flags.config);
  const layers: { name: (path: string) => string; config: SluiceConfig }[] = [];
  if (loaded.filepath) layers.push({ name: () => `config file ${loaded.filepath}`, config: loaded.config });
  if (env.MYSQL_PWD !== undefined) layers.push({ name: () => 'env MYSQL_PWD', config: { connection: { password: env.MYSQL_PWD } } as SluiceConfig });
  if (flags.defaultsFile) {
    layers.push({ name: () => `--defaults-file ${flags.defaultsFile} [client]`, config: { connection: readDefaultsFile(flags.defaultsFile) } as SluiceConfig });
  }
  layers.push({ name: (path) => flags.sources.get(path) ?? 'flag', config: flags.overrides });
  if (flags.askPass) layers.push({ name: () => '--ask-pass', config: { connection: { password: await ask() } } as SluiceConfig });

  let config: SluiceConfig = {};
  const sources = new Map<string, string>();
  for (const layer of layers) {
    config = mergeConfig(config, layer.config);
    for (const path of leafPaths(layer.config).keys()) sources.set(path, layer.name(path));
  }
  return { config, filepath: loaded.filepath, sources };
}

/** Defaults that follow another setting (configDefaults computes them from the merged config). */
const DERIVED_DEFAULTS: Readonly<Record<string, string>> = {
  killBlockersAfter: 'half of lockWaitTimeout', 'checksum.threads': 'the migration\'s threads', 'connection.ssl.mode': 'VERIFY_CA with a CA, REQUIRED with a client certificate',
};

export interface ShownSetting { readonly value: unknown; readonly source: string }

/** Every setting (set or defaulted) with its source, secrets hidden. */
export function effectiveSettings(settings: Settings): Map<string, ShownSetting> {
  const set = leafPaths(settings.config);
  const out = new Map<string, ShownSetting>();
  for (const [path, value] of leafPaths(configDefaults(settings.config))) {
    if (!set.has(path)) out.set(path, { value, source: DERIVED_DEFAULTS[path] ? `default: ${DERIVED_DEFAULTS[path]}` : 'default' });
  }
  for (const [path, value] of set) out.set(path, { value: shown(path, value), source: settings.sources.get(path) ?? 'default' });
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

function shown(path: string, value: unknown): unknown {
  if (/password|token/i.test(path)) return '********';
  if (path === 'throttle.replicas' && Array.isArray(value)) return value.map((dsn) => safeDsn(String(dsn)));
  if (path === 'plugins' && Array.isArray(value)) return value.map((p) => (typeof p === 'string' ? p : `<plugin ${(p as { name?: string }).name ?? '?'}>`));
  if (path === 'throttle.throttlers' && Array.isArray(value)) return value.map((t) => `<throttler ${(t as { name?: string }).name ?? '?'}>`);
  return value;
}

/** A DSN with its password replaced; anything that does not parse as scheme://… is not shown at all. */
function safeDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    if (!/^[a-z]+:$/i.test(url.protocol) || !url.host) return '<not a mysql:// DSN: not shown>';
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return '<not a mysql:// DSN: not shown>';
  }
}

/** `--print-config`: one `path = value  (source)` line each, or one JSON document. */
export function formatSettings(settings: Settings, json: boolean): string {
  const all = effectiveSettings(settings);
  if (json) return JSON.stringify({ type: 'config', at: new Date().toISOString(), settings: Object.fromEntries(all) });
  const width = Math.max(...[...all.keys()].map((k) => k.length));
  return [...all].map(([path, s]) => `${path.padEnd(width)} = ${JSON.stringify(s.value)}  (${s.source})`).join('\n');
}
