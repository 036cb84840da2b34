/**
 * Config files, found and read by cosmiconfig (module name `migrate`: package.json#migrate,
 * .migraterc{,.json,.yaml,.yml,.js,.mjs,.cjs,.ts}, migrate.config.{js,mjs,cjs,ts}), merged under the flags.
 * Plugins named by module specifier are imported relative to the config file.
 */
import { cosmiconfig } from 'cosmiconfig';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { stripVTControlCharacters } from 'node:util';
import { InvalidOptionError } from '../mod.ts';
import { definePlugin, type SluiceConfig, type SluicePlugin } from '../mod.ts';

export interface LoadedConfig {
  config: SluiceConfig;
  /** The file it came from, or undefined when none was found. */
  filepath: string | undefined;
}

export async function loadConfig(explicitPath: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const explorer = cosmiconfig('migrate');
  try {
    const found = explicitPath ? await explorer.load(resolve(cwd, explicitPath)) : await explorer.search(cwd);
    if (!found || found.isEmpty) return { config: {}, filepath: found?.filepath };
    const raw = (found.config?.default ?? found.config) as SluiceConfig & { $schema?: unknown };
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('it must hold (or export) an object of options');
    const { $schema: _editorSchema, ...config } = raw; // "$schema" is for editors (schema/migrate.config.schema.json)
    // Loaded only when there is a file to check: zod is most of the CLI's start-up otherwise.
    const { configProblems } = await import('./config-schema.ts');
    const problems = configProblems(config);
    if (problems.length > 0) {
      const shown = problems.slice(0, 3).map((p) => p.message).join('; ');
      const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
      throw new InvalidOptionError(`${found.filepath}: ${shown}${more}: fix the config file`);
    }
    return { config, filepath: found.filepath };
  } catch (err) {
    if (err instanceof InvalidOptionError) throw err;
    const where = (err as { filepath?: string }).filepath ?? explicitPath ?? 'the config file';
    throw new InvalidOptionError(`cannot read ${where}: ${parserMessage(err as Error)}; fix it or pass --config`);
  }
}

/** The parser's own message and line of a JSON or YAML syntax error (cosmiconfig's are several lines). */
function parserMessage(err: Error & { codeFrame?: string; reason?: string; mark?: { line: number; column: number } }): string {
  if (err.name === 'YAMLException' && err.reason && err.mark) return `${stripVTControlCharacters(err.reason)} (line ${err.mark.line + 1}, column ${err.mark.column + 1})`;
  if (err.name === 'JSONError') {
    // the code frame is coloured where the terminal (or CI=true) supports colour
    const text = stripVTControlCharacters(err.message);
    const what = text.split('\n').map((l) => l.trim()).find((l) => /\bJSON\b/.test(l) && !l.startsWith('JSON Error in'));
    const line = /^>\s*(\d+)\s*\|/m.exec(stripVTControlCharacters(err.codeFrame ?? text))?.[1];
    return `${(what ?? 'invalid JSON').replace(/ while parsing .*$/, '')}${line ? ` (line ${line})` : ''}`;
  }
  return stripVTControlCharacters(err.message).split('\n').find((l) => l.trim() !== '') ?? String(err);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lays `over` on `base`: nested objects merge key by key; anything else (arrays too) replaces. */
export function mergeConfig(base: SluiceConfig, over: SluiceConfig): SluiceConfig {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? mergeConfig(prior as SluiceConfig, value as SluiceConfig) : value;
  }
  return out as SluiceConfig;
}

/** Every leaf of a config as a dotted path (arrays and plugin objects are leaves). */
export function leafPaths(config: object, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && key !== 'plugins') for (const [p, v] of leafPaths(value, path)) out.set(p, v);
    else if (value !== undefined) out.set(path, value);
  }
  return out;
}

/** Imports plugins given as module specifiers (relative to the config file). */
export async function loadPlugins(specs: SluiceConfig['plugins'], configPath: string | undefined): Promise<SluicePlugin[]> {
  const base = configPath ? dirname(configPath) : process.cwd();
  const out: SluicePlugin[] = [];
  for (const spec of specs ?? []) {
    if (typeof spec !== 'string') {
      out.push(definePlugin(spec));
      continue;
    }
    let url: string;
    try {
      url = spec.startsWith('.') || spec.startsWith('/')
        ? pathToFileURL(resolve(base, spec)).href
        : pathToFileURL(createRequire(resolve(base, 'noop.js')).resolve(spec)).href;
    } catch {
      throw new InvalidOptionError(`plugin "${spec}" not found from ${base}: check the path or install the package`);
    }
    const mod = await import(url);
    const exported = mod.default ?? mod.plugin;
    const plugin = typeof exported === 'function' ? await exported() : exported;
    if (!plugin) throw new InvalidOptionError(`plugin module "${spec}" has no default export: export default definePlugin({ … })`);
    out.push(definePlugin(plugin));
  }
  return out;
}
