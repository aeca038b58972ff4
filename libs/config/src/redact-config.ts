import { type MedicConfig } from './config.types';
import { deepFreeze } from './plain-data';

export const REDACTED = '[redacted]';

/** A copy safe to print or log: secrets, key hashes and URL passwords replaced. */
export function redactConfig(c: MedicConfig): MedicConfig {
  return deepFreeze({
    ...c,
    siem: {
      ...c.siem,
      endpoint: redactUrlPassword(c.siem.endpoint),
      ...(c.siem.api_key === undefined ? {} : { api_key: REDACTED }),
    },
    kafka: { ...c.kafka, sasl: { ...c.kafka.sasl, password: c.kafka.sasl.password === null ? null : REDACTED } },
    database: { ...c.database, url: redactUrlPassword(c.database.url) },
    api: { ...c.api, keys: c.api.keys.map((key) => ({ ...key, key_sha256: REDACTED })) },
  });
}

/** The URL with its password masked, for messages and logs; text that is no URL is not shown at all. */
export function redactUrlPassword(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.toString();
  } catch {
    return REDACTED;
  }
}
