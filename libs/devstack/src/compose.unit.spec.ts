import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig, type MedicConfig } from '@medic/config';
import { MEDIC_SERVICES } from './medic-services';

/*
 * docker-compose.yaml runs the same services as `medic up`, each configured by
 * its environment. Nothing here can start Docker, so these checks read the file
 * as Compose would and load each service's configuration as the service would.
 */
const ROOT = join(__dirname, '../../..');

interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly user?: string;
  readonly environment?: Record<string, string | number | boolean>;
  readonly volumes?: string[];
  readonly ports?: string[];
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const prometheus = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };

/** `${NAME:-default}` as Compose resolves it with nothing set in the shell; `${NAME:?message}` stands for a value the user must give. */
function resolved(value: string | number | boolean, given: Record<string, string>): string {
  return String(value).replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_m, name: string, fallback: string | undefined) => given[name] ?? fallback ?? '');
}

const USER_GIVEN = { MEDIC_API_KEYS: `ops:admin:${'a'.repeat(64)}` };

function environmentOf(service: string): Record<string, string> {
  const env = compose.services[service]?.environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolved(v, USER_GIVEN)]));
}

/** The image's working directory, which holds the checkout's config/ (see the Dockerfile). */
const IMAGE_ROOT = '/app/';

function configOf(service: string): MedicConfig {
  const env = environmentOf(service);
  const path = env['MEDIC_CONFIG_PATH'] ?? '';
  expect(path.startsWith(IMAGE_ROOT)).toBe(true);
  return loadConfig({ env: { ...env, MEDIC_CONFIG_PATH: join(ROOT, path.slice(IMAGE_ROOT.length)) }, cwd: ROOT });
}

describe('docker-compose.yaml', () => {
  it('runs every Medic service from the one image, each named by SERVICE', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile).toMatch(/^COPY config \.\/config$/m);
    for (const name of MEDIC_SERVICES) {
      const service = compose.services[name];
      expect(service).toBeDefined();
      expect(service!.build).toBe('.');
      expect(environmentOf(name)['SERVICE']).toBe(name);
    }
  });

  it("gives every service a configuration that loads, and the same one but for the gateway's own port and keys", () => {
    const shared = (c: MedicConfig) => ({ ...c, interfaces: { ...c.interfaces, web: null }, api: null });
    const gateway = configOf('gateway');
    for (const name of MEDIC_SERVICES) expect([name, shared(configOf(name))]).toEqual([name, shared(gateway)]);
    // What the workflow waits for is what the gateway's health and status speak of.
    expect(gateway.siem).toMatchObject({ enabled: true, endpoint: 'http://elasticsearch:9200' });
    expect(gateway.kafka.brokers).toBe('kafka:9092');
    expect(gateway.api.keys.map((k) => k.name)).toEqual(['ops']);
  });

  it('lets the services that drive the container engine open its socket', () => {
    for (const name of ['executor', 'monitor']) {
      expect(compose.services[name]!.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
      // The image runs as an unprivileged user; the host's socket belongs to root (or a docker group whose id varies).
      expect(compose.services[name]!.user).toBe('root');
    }
  });

  it("has Prometheus scrape every service's metrics where the service serves them", () => {
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    for (const name of MEDIC_SERVICES) {
      const config = configOf(name);
      const port = name === 'gateway' ? config.interfaces.web.port : config.metrics.port;
      expect(targets).toContain(`${name}:${port}`);
    }
  });

  it("has Grafana provisioned with the data sources the dashboard charts from, and the dashboard where its provider looks", () => {
    const grafana = compose.services['grafana']!;
    const provider = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/medic.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    const sources = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { uid: string; type: string }[] };
    const dashboard = readFileSync(join(ROOT, 'deploy/grafana/dashboards/medic-overview.json'), 'utf8');
    const used = [...dashboard.matchAll(/"datasource":\s*\{\s*"type":\s*"(\w+)",\s*"uid":\s*"(\w+)"/g)].map((m) => ({ type: m[1], uid: m[2] }));
    expect(used.length).toBeGreaterThan(0);
    for (const source of used) expect(sources.datasources).toContainEqual(expect.objectContaining(source));
  });
});
