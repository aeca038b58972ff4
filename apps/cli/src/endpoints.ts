import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What `medic up` tells the world about the stack it runs (.medic/endpoints.json). */
export interface Endpoints {
  readonly kafka: { readonly brokers: string };
  readonly api: { readonly url: string; readonly key: string };
  readonly postgres: { readonly url: string };
  readonly metrics: Readonly<Record<string, string>>;
  readonly pid: number;
}

export function endpointsPath(root: string): string {
  return join(root, '.medic', 'endpoints.json');
}

export function writeEndpoints(root: string, endpoints: Endpoints): string {
  const path = endpointsPath(root);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(endpoints, null, 2) + '\n', { mode: 0o600 });
  return path;
}

export function readEndpoints(root: string): Endpoints | null {
  const path = endpointsPath(root);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Endpoints;
  } catch {
    return null;
  }
}
