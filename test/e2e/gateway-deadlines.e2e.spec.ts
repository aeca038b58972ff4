import { connect } from 'node:net';
import { Client } from 'pg';
import { startMedic, type MedicUnderTest } from '@medic/testing';

interface Envelope<T> {
  success: boolean;
  data: T | null;
  errors: { code: string; message: string }[];
}
interface Health {
  status: string;
  checks: Record<string, string>;
  steps: Record<string, { status: string; dead_letters_last_hour: number | null }>;
}

/**
 * Postgres that hangs instead of refusing: the gateway's queries wait on
 * tables another session holds locked, as they would on a stalled server.
 * Each answer must come while the lock is still held.
 */
describe('REST gateway while Postgres does not answer', () => {
  let medic: MedicUnderTest;
  let holder: Client;

  beforeAll(async () => {
    medic = await startMedic({ services: ['gateway'], config: { interfaces: { web: { request_timeout_seconds: 2 } } } });
    holder = new Client({ connectionString: medic.databaseUrl });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await medic?.stop();
  });

  /** Runs `request` while `tables` are locked by another session; the request must finish before the lock goes. */
  async function whileLocked<T>(tables: string[], request: () => Promise<T>): Promise<T> {
    await holder.query('BEGIN');
    try {
      await holder.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
      let released = false;
      // Should the request hang, the lock goes after 30 s, and the assertion below fails instead of the test timing out.
      const fallback = setTimeout(() => {
        released = true;
        void holder.query('ROLLBACK');
      }, 30_000);
      const result = await request();
      clearTimeout(fallback);
      expect(released).toBe(false);
      return result;
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
    }
  }

  it('answers a query it cannot finish with 503 in the envelope within the request deadline, and serves again afterwards', async () => {
    const res = await whileLocked(['gateway.kills'], () => medic.call<Envelope<unknown>>('GET', '/decisions'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body.success).toBe(false);
    expect(res.body.errors[0]).toMatchObject({ code: 'unavailable' });
    expect(res.body.errors[0]!.message).toMatch(/within 2 s/);

    const after = await medic.call<Envelope<{ items: unknown[] }>>('GET', '/decisions');
    expect(after.status).toBe(200);
    expect(after.body.data!.items).toEqual([]);
  });

  it('answers a POST it cannot finish with 503, saying it may still take effect', async () => {
    const res = await whileLocked(['gateway.kills', 'gateway.idempotency_keys'], () =>
      medic.call<Envelope<unknown>>('POST', '/queue/00000000-0000-4000-8000-000000000000/approve', { body: {}, headers: { 'Idempotency-Key': 'deadline-1' } }),
    );
    expect(res.status).toBe(503);
    expect(res.body.errors[0]!.message).toMatch(/Idempotency-Key/);
  });

  it('answers health within its checks\' bounds: the dead letters it cannot read are unknown, not ok', async () => {
    const res = await whileLocked(['gateway.dead_letters', 'gateway.siem_circuits'], () => medic.call<Envelope<Health>>('GET', '/health'));
    expect(res.status).toBe(200);
    expect(res.body.data!.status).toBe('degraded');
    expect(res.body.data!.checks).toMatchObject({ database: 'ok', dead_letters: 'unknown' });
    expect(res.body.data!.steps['decision']).toEqual({ status: 'unknown', dead_letters_last_hour: null });

    const after = await medic.call<Envelope<Health>>('GET', '/health');
    expect(after.body.data!.checks['dead_letters']).toBe('ok');
    expect(after.body.data!.steps['decision']).toEqual({ status: 'ok', dead_letters_last_hour: 0 });
  });

  /** Sends `head` on a raw connection and never the rest; what comes back, and after how long. */
  async function sendAndStall(head: string): Promise<{ ms: number; response: string }> {
    const { hostname, port } = new URL(medic.api.url);
    const socket = connect(Number(port), hostname);
    const started = Date.now();
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    socket.write(head);
    await new Promise<void>((resolve, reject) => {
      socket.on('close', () => resolve());
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no answer within 15 s')), 15_000).unref();
    });
    return { ms: Date.now() - started, response };
  }

  it('answers a client that stops sending halfway with 408 in the envelope once the request deadline passes', async () => {
    const item = '/api/v1/queue/00000000-0000-4000-8000-000000000000/approve';
    const halfBody = await sendAndStall(
      `POST ${item} HTTP/1.1\r\nHost: medic\r\nX-API-Key: ${medic.api.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"no`,
    );
    const halfHeaders = await sendAndStall('GET /api/v1/status HTTP/1.1\r\nHost: medic\r\n');
    for (const { ms, response } of [halfBody, halfHeaders]) {
      // The deadline is 2 s; lapsed requests are looked for every second.
      expect(ms).toBeLessThan(5_000);
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Envelope<unknown>;
      expect(body).toMatchObject({ success: false, data: null, errors: [{ code: 'request_timeout' }] });
    }
    // Not HTTP at all: 400 in the envelope, at once.
    const garbage = await sendAndStall('HELLO\r\n\r\n');
    expect(garbage.response).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbage.response).toContain('"code":"bad_request"');
  });

  it('answers status while the projections\' positions cannot be read, with their lags unknown', async () => {
    type Status = Envelope<{ mode: { current: string }; event_log: string; projections: { name: string }[] | null }>;
    const res = await whileLocked(['gateway.projection_offsets'], () => medic.call<Status>('GET', '/status'));
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ event_log: 'error', projections: null, mode: { current: 'observer' } });

    const after = await medic.call<Status>('GET', '/status');
    expect(after.body.data!.event_log).toBe('ok');
    expect(after.body.data!.projections!.map((p) => p.name)).toContain('gateway.kills');
  });
});
