import { setTimeout as sleep } from 'node:timers/promises';
import { startMedic, type MedicUnderTest } from '@medic/testing';

interface Envelope {
  success: boolean;
  errors: { code: string; message: string; field: string | null }[];
}

/** interfaces.web.rate_limit on the real gateway: a request every 2 s per client, in bursts of up to 3 (slow enough that a loaded machine's requests still come within one refill). */
describe('REST gateway rate limit', () => {
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({
      services: ['gateway'],
      config: { interfaces: { web: { rate_limit: { requests_per_second: 0.5, burst: 3 } } } },
      apiKeys: [
        { name: 'olga', role: 'operator' },
        { name: 'vera', role: 'viewer' },
      ],
    });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  /** The statuses of `n` requests sent one after another, without waiting between them. */
  async function statuses(n: number, request: () => Promise<{ status: number }>): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < n; i += 1) seen.push((await request()).status);
    return seen;
  }

  it('refuses a key past its burst with 429 rate_limited and Retry-After, without touching other keys', async () => {
    expect(await statuses(3, () => medic.call('GET', '/decisions', { as: 'olga' }))).toEqual([200, 200, 200]);
    const refused = await medic.call<Envelope>('GET', '/decisions', { as: 'olga' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    expect(refused.body.success).toBe(false);
    expect(refused.body.errors).toEqual([
      { code: 'rate_limited', message: 'too many requests from the API key olga (the limit is 0.5 a second, in bursts of up to 3): try again in 2 s', field: null },
    ]);
    // A POST over the limit is refused before it acts: no item is looked up, so no 404.
    expect((await medic.call('POST', '/queue/00000000-0000-4000-8000-000000000000/approve', { as: 'olga', body: {} })).status).toBe(429);
    // Another key has its own bucket.
    expect(await statuses(3, () => medic.call('GET', '/decisions', { as: 'vera' }))).toEqual([200, 200, 200]);
    // 2 s later one more request of olga's is let through, and only one.
    await sleep(2_100);
    expect(await statuses(2, () => medic.call('GET', '/decisions', { as: 'olga' }))).toEqual([200, 429]);
  });

  it('counts requests without a valid key by their address, so guessing keys is slowed too', async () => {
    // The harness's readiness probes came from this address: a full burst first.
    await sleep(6_100);
    const wrongKey = () => medic.get('/decisions', { 'X-API-Key': 'medic_guess' });
    const noKey = () => medic.get('/decisions', {});
    expect([...(await statuses(2, wrongKey)), ...(await statuses(3, noKey))]).toEqual([401, 401, 401, 429, 429]);
    const refused = await medic.get<Envelope>('/health', {});
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0]!.message).toMatch(/^too many requests from this address /);
    // Routes ignore case: the API's path in capitals is the same API, counted alike.
    const shouted = await fetch(`${medic.api.url.replace(/\/api\/v1$/, '/API/V1')}/decisions`, { headers: { 'X-API-Key': 'medic_guess' } });
    expect(shouted.status).toBe(429);
    // A valid key from the same address is counted apart.
    expect((await medic.call('GET', '/decisions', { as: 'vera' })).status).not.toBe(429);
  });

  it('leaves /metrics alone, and counts what it refused there', async () => {
    const scrapes = await Promise.all(Array.from({ length: 10 }, () => fetch(medic.metricsUrl('gateway'))));
    expect(scrapes.map((r) => r.status)).toEqual(Array(10).fill(200));
    const text = await scrapes[0]!.text();
    expect(Number(/^medic_api_rate_limited_total\{[^}]*client="key"[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    expect(Number(/^medic_api_rate_limited_total\{[^}]*client="address"[^}]*\} (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
  });
});
