import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What `medic up` tells the world about the stack it runs (.medic/endpoints.json). */
export interface Endpoints {
  readonly kafka: { readonly brokers: string };
  readonly api: { readonly url: string; readonly key: string };
  readonly postgres: { readonly url: string };
  /** Present when the stack runs a SIEM (an Elasticsearch of its own unless one was configured). */
  readonly elasticsearch?: { readonly url: string };
  /** The Docker-API socket of the stack's container engine. */
  readonly docker?: { readonly socket: string };
  readonly metrics: Readonly<Record<string, string>>;
  readonly pid: number;
}

/** Where `medic up` keeps its stack, logs and endpoints: $MEDIC_HOME, else <repo>/.medic. */
export function medicHome(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.MEDIC_HOME ?? join(root, '.medic');
}

export function endpointsPath(home: string): string {
  return join(home, 'endpoints.json');
}

export function writeEndpoints(home: string, endpoints: Endpoints): string {
  const path = endpointsPath(home);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(endpoints, null, 2) + '\n', { mode: 0o600 });
  return path;
}

export function readEndpoints(home: string): Endpoints | null {
  const path = endpointsPath(home);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Endpoints;
  } catch {
    return null;
  }
}

/** A key `medic up` made: 24 random bytes, base64url. */
const DEV_KEY = /^medic_dev_[A-Za-z0-9_-]{32}$/;

export function apiKeyPath(home: string): string {
  return join(home, 'api-key');
}

/**
 * The admin key of the dev stack in `home`: the one of the last run, kept in
 * `<home>/api-key` (readable by its owner only), or a new one kept there when
 * there is none (or the file holds something else). Scripts and dashboards
 * given the key once keep working; deleting the file makes a new one.
 */
export function devApiKey(home: string): { readonly key: string; readonly kept: boolean } {
  const path = apiKeyPath(home);
  const known = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
  if (DEV_KEY.test(known)) {
    chmodSync(path, 0o600);
    return { key: known, kept: true };
  }
  const key = `medic_dev_${randomBytes(24).toString('base64url')}`;
  mkdirSync(home, { recursive: true });
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { key, kept: false };
}
