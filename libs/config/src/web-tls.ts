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

const KEY = 'interfaces.web.tls';

/**
 * `interfaces.web.tls` read and checked: null for plain HTTP; else the files,
 * which must be readable PEM, the key the certificate's. Any problem is a
 * ConfigError naming the key, so that the gateway (and `medic up`, before
 * it starts anything) refuses to start rather than serve without TLS.
 */
export function readWebTls(config: MedicConfig, cwd: string = process.cwd()): WebTls | null {
  const tls = config.interfaces.web.tls;
  if (tls.cert_file === null || tls.key_file === null) return null;
  const read = (field: string, file: string): Buffer => {
    try {
      return readFileSync(resolve(cwd, file));
    } catch (error) {
      throw new ConfigError([{ key: `${KEY}.${field}`, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
    }
  };
  const cert = read('cert_file', tls.cert_file);
  const key = read('key_file', tls.key_file);
  const clientCa = tls.client_ca_file === null ? null : read('client_ca_file', tls.client_ca_file);
  try {
    createSecureContext({ cert, key, ...(clientCa ? { ca: clientCa } : {}) });
  } catch (error) {
    throw new ConfigError([{ key: KEY, message: `the certificate, key or client CA cannot be used: ${(error as Error).message}` }]);
  }
  return { cert, key, clientCa };
}
