import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './config.error';
import { type MedicConfig } from './config.types';
import { buildConfig } from './parse-config';

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where relative paths resolve; defaults to process.cwd(). */
  readonly cwd?: string;
}

export const DEFAULT_CONFIG_PATH = 'config/medic.yaml';

/**
 * The configuration for this process, validated once: the file named by MEDIC_CONFIG_PATH (else
 * `config/medic.yaml` when present, else defaults only) with env vars over it. Throws ConfigError.
 */
export function loadConfig(options: LoadConfigOptions = {}): MedicConfig {
  const env = options.env ?? process.env;
  const path = configPath(env, options.cwd ?? process.cwd());
  if (path === undefined) return buildConfig('', env, 'defaults and environment');
  return buildConfig(readConfigFile(path), env, path);
}

function configPath(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const named = env.MEDIC_CONFIG_PATH?.trim();
  if (named === undefined || named === '') {
    const fallback = resolve(cwd, DEFAULT_CONFIG_PATH);
    return existsSync(fallback) ? fallback : undefined;
  }
  const path = resolve(cwd, named);
  if (!existsSync(path)) throw new ConfigError([{ key: 'MEDIC_CONFIG_PATH', message: `no such file: ${path}` }]);
  return path;
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ key: '(file)', message: `cannot read ${path}: ${reason}` }], path);
  }
}
