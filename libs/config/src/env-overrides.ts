import { type ConfigIssue } from './config.error';
import { brokersFromKafkaUrl, parseBrokerList } from './kafka-brokers';
import { deepMerge, treeAt } from './plain-data';

type Read = { ok: true; value: unknown } | { ok: false; message: string };

interface EnvBinding {
  readonly name: string;
  /** The config key the variable sets. */
  readonly path: readonly string[];
  readonly read: (raw: string) => Read;
}

const asString = (raw: string): Read => ({ ok: true, value: raw });
const asBoolean = (raw: string): Read =>
  raw === 'true' || raw === 'false' ? { ok: true, value: raw === 'true' } : { ok: false, message: 'must be true or false' };
const asInteger = (raw: string): Read =>
  /^\d+$/.test(raw) ? { ok: true, value: Number(raw) } : { ok: false, message: 'must be an integer' };

/** `id=base64,id2=base64`: Ed25519 public keys by key id (each checked with the config). */
function readTrustedKeys(raw: string): Read {
  const keys: Record<string, string> = {};
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const at = entry.indexOf('=');
    if (at <= 0) return { ok: false, message: `must be key_id=base64 public key pairs separated by commas (got ${JSON.stringify(entry.slice(0, 40))})` };
    keys[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return { ok: true, value: keys };
}

// Later bindings win over earlier ones for the same key; conflicts between them are reported.
const BINDINGS: readonly EnvBinding[] = [
  { name: 'MEDIC_MODE', path: ['mode', 'current'], read: asString },
  { name: 'MEDIC_LOG_LEVEL', path: ['logging', 'level'], read: asString },
  { name: 'MEDIC_LOG_FORMAT', path: ['logging', 'format'], read: asString },
  { name: 'MEDIC_METRICS_PORT', path: ['metrics', 'port'], read: asInteger },
  { name: 'SIEM_API_KEY', path: ['siem', 'api_key'], read: asString },
  { name: 'SIEM_CA_FILE', path: ['siem', 'ca_file'], read: asString },
  { name: 'MEDIC_SIEM_ENABLED', path: ['siem', 'enabled'], read: asBoolean },
  { name: 'MEDIC_AUTO_APPROVE', path: ['decision', 'auto_approve', 'enabled'], read: asBoolean },
  { name: 'MEDIC_VETO_PROTOCOL', path: ['smith', 'veto_protocol', 'enabled'], read: asBoolean },
  { name: 'MEDIC_SMITH_SIGNING_REQUIRED', path: ['smith', 'signing', 'required'], read: asBoolean },
  { name: 'MEDIC_SMITH_TRUSTED_KEYS', path: ['smith', 'signing', 'trusted_keys'], read: readTrustedKeys },
  { name: 'SIEM_ENDPOINT', path: ['siem', 'endpoint'], read: asString },
  { name: 'SMITH_EVENT_BUS_URL', path: ['kafka', 'brokers'], read: readKafkaUrl },
  { name: 'KAFKA_BROKERS', path: ['kafka', 'brokers'], read: asString },
  { name: 'KAFKA_TLS', path: ['kafka', 'tls', 'enabled'], read: asBoolean },
  { name: 'KAFKA_TLS_CA_FILE', path: ['kafka', 'tls', 'ca_file'], read: asString },
  { name: 'KAFKA_SASL_MECHANISM', path: ['kafka', 'sasl', 'mechanism'], read: asString },
  { name: 'KAFKA_SASL_USERNAME', path: ['kafka', 'sasl', 'username'], read: asString },
  { name: 'KAFKA_SASL_PASSWORD', path: ['kafka', 'sasl', 'password'], read: asString },
  { name: 'DATABASE_URL', path: ['database', 'url'], read: asString },
  { name: 'MEDIC_API_PORT', path: ['interfaces', 'web', 'port'], read: asInteger },
  { name: 'MEDIC_API_TLS_CERT_FILE', path: ['interfaces', 'web', 'tls', 'cert_file'], read: asString },
  { name: 'MEDIC_API_TLS_KEY_FILE', path: ['interfaces', 'web', 'tls', 'key_file'], read: asString },
  { name: 'MEDIC_API_TLS_CLIENT_CA_FILE', path: ['interfaces', 'web', 'tls', 'client_ca_file'], read: asString },
  { name: 'MEDIC_API_KEYS', path: ['api', 'keys'], read: readApiKeys },
];

export interface EnvOverrides {
  /** A partial config tree to merge over the file. */
  readonly value: unknown;
  /** Dotted config key → the env var that set it, to name the variable when its value is invalid. */
  readonly sources: ReadonlyMap<string, string>;
  readonly issues: readonly ConfigIssue[];
}

/** Env vars (spec 13.1 and Medic's own) as overrides of the file. Empty variables count as unset. */
export function readEnvOverrides(env: NodeJS.ProcessEnv): EnvOverrides {
  let value: unknown = {};
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [...brokerConflicts(env)];
  for (const binding of BINDINGS) {
    const raw = env[binding.name]?.trim();
    if (raw === undefined || raw === '') continue;
    const read = binding.read(raw);
    if (!read.ok) {
      issues.push({ key: binding.name, message: read.message });
      continue;
    }
    value = deepMerge(value, treeAt(binding.path, read.value));
    sources.set(binding.path.join('.'), binding.name);
  }
  return { value, sources, issues };
}

function readKafkaUrl(raw: string): Read {
  const parsed = brokersFromKafkaUrl(raw);
  return parsed.ok ? { ok: true, value: parsed.brokers } : parsed;
}

/** `name:role:sha256hex,…`; roles and hashes are checked by the schema like those of the file. */
function readApiKeys(raw: string): Read {
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const keys = entries.map((entry) => entry.split(':'));
  const bad = keys.findIndex((parts) => parts.length !== 3);
  // The entry itself is not echoed: a misplaced plain key must not reach the logs.
  if (bad >= 0) return { ok: false, message: `entry ${bad + 1} must be name:role:sha256hex` };
  return { ok: true, value: keys.map(([name, role, key_sha256]) => ({ name, role, key_sha256 })) };
}

function brokerConflicts(env: NodeJS.ProcessEnv): ConfigIssue[] {
  const fromUrl = brokersFromKafkaUrl(env.SMITH_EVENT_BUS_URL?.trim() ?? '');
  const fromList = parseBrokerList(env.KAFKA_BROKERS?.trim() ?? '');
  if (!fromUrl.ok || fromList === undefined || fromUrl.brokers === fromList.join(',')) return [];
  return [{ key: 'SMITH_EVENT_BUS_URL', message: 'names other brokers than KAFKA_BROKERS; set one of them, or the same brokers in both' }];
}
