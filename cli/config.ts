/**
 * Config files, found and read by cosmiconfig (module name `migrate`: package.json#migrate,
 * .migraterc{,.json,.yaml,.yml,.js,.mjs,.cjs,.ts}, migrate.config.{js,mjs,cjs,ts}), merged under the flags.
 * Plugins named by module specifier are imported relative to the config file.
 */
import { cosmiconfig } from 'cosmiconfig';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { InvalidOptionError } from '../mod.ts';
import { definePlugin, type MigrationOptions, type SluiceConfig, type SluicePlugin } from '../mod.ts';

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
    const config = (found.config?.default ?? found.config) as SluiceConfig;
    if (!config || typeof config !== 'object') throw new Error('it must export an object');
    return { config, filepath: found.filepath };
  } catch (err) {
    if (err instanceof InvalidOptionError) throw err;
    const where = explicitPath ?? 'the config file';
    throw new InvalidOptionError(`cannot read ${where}: ${(err as Error).message.split('\n')[0]}; fix it or pass --config`);
  }
}

/** Flags win over the config; connection fields merge one by one. */
export function mergeConfig(config: SluiceConfig, overrides: SluiceConfig): SluiceConfig {
  return {
    ...config,
    ...overrides,
    connection: { ...config.connection, ...overrides.connection } as MigrationOptions['connection'],
    throttle: { ...config.throttle, ...overrides.throttle },
    checkpoint: { ...config.checkpoint, ...overrides.checkpoint },
  };
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
