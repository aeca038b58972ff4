import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
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
