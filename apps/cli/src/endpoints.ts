import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, shown } from './cli-error';

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

/** `endpoints.json` as read, before any of its addresses is taken (see `endpoint`). */
export interface EndpointsFile {
  readonly path: string;
  /** The parsed document; undefined when the file is not JSON. */
  readonly document: unknown;
  /** Why the file could not be read as JSON, if it could not. */
  readonly unreadable: string | null;
}

/** The stack's endpoints file in `home`, or null when there is none (no `medic up` runs there). */
export function readEndpoints(home: string): EndpointsFile | null {
  const path = endpointsPath(home);
  if (!existsSync(path)) return null;
  try {
    return { path, document: JSON.parse(readFileSync(path, 'utf8')) as unknown, unreadable: null };
  } catch (error) {
    return { path, document: undefined, unreadable: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One address from the endpoints file (`kafka.brokers`, `postgres.url`…),
 * checked: a file that is not JSON, or that lacks an address a command needs
 * or holds something else there, is a usage error naming the file, the
 * address and the variable that names it instead. An optional one (the
 * SIEM's, the container engine's: not every stack has them) may be absent.
 */
export function endpoint(file: EndpointsFile, address: string, variable: string): string;
export function endpoint(file: EndpointsFile, address: string, variable: string, opts: { readonly optional: true }): string | null;
export function endpoint(file: EndpointsFile, address: string, variable: string, opts: { readonly optional?: boolean } = {}): string | null {
  const instead = `delete it if no \`medic up\` runs with this MEDIC_HOME, or set ${variable}`;
  if (file.unreadable !== null) throw new CliError(`${file.path} is not JSON as \`medic up\` writes it (${shown(file.unreadable)}): ${instead}`, 2);
  let value: unknown = file.document;
  for (const name of address.split('.')) value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
  if (value === undefined && opts.optional === true) return null;
  if (typeof value !== 'string' || value.trim() === '') {
    const found = value === undefined ? 'none' : typeof value === 'string' ? 'an empty string' : Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    throw new CliError(`${file.path} has no ${address} as \`medic up\` writes it (found ${found}): ${instead}`, 2);
  }
  return value;
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
