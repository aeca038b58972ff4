import { request } from 'node:http';

export interface EngineAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * One plain request to a Docker Engine API on a unix socket. Start-up and shutdown need only
 * `_ping` and a couple of calls, so they do without a client library and its set-up cost.
 */
export function callEngine(socket: string, method: 'GET' | 'POST', path: string, timeoutMs = 5_000): Promise<EngineAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within ${timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves when the engine answers `GET /_ping` with 200 OK; rejects with why not otherwise. */
export async function pingEngine(socket: string): Promise<void> {
  const { status, body } = await callEngine(socket, 'GET', '/_ping', 2_000);
  if (status !== 200 || body.trim() !== 'OK') throw new Error(`GET /_ping answered ${status} ${body.trim().slice(0, 200)}`);
}

export function answersPing(socket: string): Promise<boolean> {
  return pingEngine(socket).then(
    () => true,
    () => false,
  );
}
