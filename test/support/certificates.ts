import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files (and a PKCS#12 keystore) made for a test, by path. */
export interface TestCertificates {
  /** The CA that signed `server` and `client`. */
  readonly ca: string;
  /** For 127.0.0.1 (an IP subject alternative name), as a server's. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The server's key and certificate as PKCS#12, under `keystorePassword` (for a JVM server). */
  readonly serverKeystore: string;
  readonly keystorePassword: string;
  /** A client certificate the CA signed. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A self-signed certificate no one trusts. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

/** A small PKI in `dir`, made with the openssl CLI: EC P-256 keys, valid two days. */
export function makeTestCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=medic-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=medic-test-${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const keystorePassword = 'medic-test-keystore';
  openssl('pkcs12', '-export', '-in', 'server.crt', '-inkey', 'server.key', '-out', 'server.p12', '-name', 'server', '-passout', `pass:${keystorePassword}`);
  openssl('req', '-x509', ...ec, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '2', '-subj', '/CN=stranger');
  const at = (file: string) => join(dir, file);
  return {
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    serverKeystore: at('server.p12'),
    keystorePassword,
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
  };
}
