import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config.error';
import type { MedicConfig } from './config.types';

/** The REST API's certificate, key and (for mutual TLS) the CA its clients' certificates must be signed by. */
export interface WebTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set: a client without a certificate this CA signed is refused at the handshake. */
  readonly clientCa: Buffer | null;
}

/**
 * `interfaces.web.tls` read and checked: null for plain HTTP; else the files,
 * which must be readable PEM, the key the certificate's. Any problem is a
 * ConfigError naming the key, so that the gateway (and `medic up`, before
 * it starts anything) refuses to start rather than serve without TLS.
 */
export function readWebTls(config: MedicConfig, cwd: string = process.cwd()): WebTls | null {
  const tls = config.interfaces.web.tls;
  if (tls.cert_file === null || tls.key_file === null) return null;
  const read = (field: string, file: string) => readPemFile(`interfaces.web.tls.${field}`, file, cwd);
  const cert = read('cert_file', tls.cert_file);
  const key = read('key_file', tls.key_file);
  const clientCa = tls.client_ca_file === null ? null : read('client_ca_file', tls.client_ca_file);
  checkUsable('interfaces.web.tls', { cert, key, ...(clientCa ? { ca: clientCa } : {}) });
  return { cert, key, clientCa };
}

/** How Medic's Kafka clients reach the brokers: kafkajs's `ssl` and `sasl` options. */
export interface KafkaSecurity {
  /** false: plaintext; else TLS with these options (the CA, a client certificate), or the system's CAs (true). */
  readonly ssl: false | true | { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly sasl: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string } | null;
}

/** `kafka.tls` and `kafka.sasl` read and checked, as `readWebTls` does: a problem is a ConfigError naming the key. */
export function readKafkaSecurity(config: MedicConfig, cwd: string = process.cwd()): KafkaSecurity {
  const { tls, sasl } = config.kafka;
  const read = (field: string, file: string | null) => (file === null ? undefined : readPemFile(`kafka.tls.${field}`, file, cwd));
  let ssl: KafkaSecurity['ssl'] = false;
  if (tls.enabled) {
    const files = { ca: read('ca_file', tls.ca_file), cert: read('cert_file', tls.cert_file), key: read('key_file', tls.key_file) };
    // Only the files set: an option given as undefined would replace kafkajs's (and Node's) default.
    const given = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)) as { ca?: Buffer; cert?: Buffer; key?: Buffer };
    if (Object.keys(given).length === 0) ssl = true;
    else {
      checkUsable('kafka.tls', given);
      ssl = given;
    }
  }
  const credentials = sasl.mechanism === null || sasl.username === null || sasl.password === null ? null : { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
  return { ssl, sasl: credentials };
}

/** `siem.ca_file` read and checked (PEM certificates): null when not set. A problem is a ConfigError naming the key. */
export function readSiemCa(config: MedicConfig, cwd: string = process.cwd()): Buffer | null {
  const file = config.siem.ca_file;
  if (file === null) return null;
  const ca = readPemFile('siem.ca_file', file, cwd);
  checkUsable('siem.ca_file', { ca });
  return ca;
}

/** Every file the configuration names, read and checked, so that a service refuses a configuration it could not use before it starts. */
export function checkConfigFiles(config: MedicConfig, cwd: string = process.cwd()): void {
  readKafkaSecurity(config, cwd);
  readSiemCa(config, cwd);
  readWebTls(config, cwd);
}

function readPemFile(key: string, file: string, cwd: string): Buffer {
  try {
    return readFileSync(resolve(cwd, file));
  } catch (error) {
    throw new ConfigError([{ key, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
}

/** The certificate, key and CA make a TLS context (PEM that parses, the key the certificate's). */
function checkUsable(key: string, options: { ca?: Buffer; cert?: Buffer; key?: Buffer }): void {
  try {
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError([{ key, message: `the certificate, key or CA cannot be used: ${(error as Error).message}` }]);
  }
}
