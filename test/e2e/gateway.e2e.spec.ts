import { request } from 'node:http';
import { eventually, killReport, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';

/** A GET whose headers may repeat a line (fetch joins them into one). */
function rawGet(url: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Envelope<T> {
  success: boolean;
  data: T | null;
  meta: { timestamp: string; request_id: string; version: string };
  errors: { code: string; message: string; field?: string }[];
}
interface Decision {
  decision_id: string;
  kill_id: string;
  outcome: string;
  risk_level: string;
  target_module: string;
  timestamp: string;
  observe_only: boolean;
  requires_human_review: boolean;
  approval: { queue_item_id: string; expires_at: string } | null;
  reasoning: string[];
}
interface Page {
  items: Decision[];
  pagination: { page: number; page_size: number; total: number; total_pages: number };
}

describe('REST gateway over the decisions projection (semi_auto mode)', () => {
  let medic: MedicUnderTest;
  const reports = {
    low: killReport({ target_module: 'cache-svc', severity: 'info', confidence_score: 0.1 }),
    guarded: killReport({ target_module: 'auth-service', severity: 'info', confidence_score: 0.1 }),
    banned: killReport({ target_module: 'crypto-miner', severity: 'low', confidence_score: 0.3 }),
    severe: killReport({ target_module: 'web-frontend', severity: 'critical', confidence_score: 0.99, kill_reason: 'threat_detected' }),
  };

  beforeAll(async () => {
    medic = await startMedic({
      services: ['listener', 'decision', 'gateway'],
      config: {
        mode: { current: 'semi_auto' },
        decision: { auto_approve: { enabled: true, max_risk_level: 'low', min_confidence: 0.5 } },
        constraints: { blacklisted_modules: ['crypto-miner'] },
        risk: { module_criticality: { modules: { 'web-frontend': 1 } } },
      },
    });
    for (const r of Object.values(reports)) await medic.publishRaw(smithMessage(r), r.kill_id);
    await eventually(async () => {
      const res = await medic.get<Envelope<Page>>('/decisions');
      return (res.body.data?.pagination.total ?? 0) >= 4 ? true : undefined;
    }, 'four decisions');
  });
  afterAll(async () => {
    await medic?.stop();
  });

  const byKill = async (killId: string) => (await medic.get<Envelope<Page>>('/decisions?page_size=200')).body.data!.items.find((d) => d.kill_id === killId)!;

  it('applies the mode and the safety constraints', async () => {
    expect(await byKill(reports.low.kill_id)).toMatchObject({ outcome: 'approve_auto', observe_only: false, requires_human_review: false, approval: null });
    const guarded = await byKill(reports.guarded.kill_id);
    expect(guarded).toMatchObject({ outcome: 'pending_review', requires_human_review: true });
    expect(guarded.approval?.queue_item_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(guarded.reasoning.join(' ')).toMatch(/auth-service/);
    expect((await byKill(reports.banned.kill_id)).outcome).toBe('deny');
    expect((await byKill(reports.severe.kill_id)).outcome).toBe('deny');
  });

  it('filters by module, outcome and risk level, and pages', async () => {
    const deny = await medic.get<Envelope<Page>>('/decisions?outcome=deny');
    expect(deny.body.data!.items.map((d) => d.kill_id).sort()).toEqual([reports.banned.kill_id, reports.severe.kill_id].sort());
    const mod = await medic.get<Envelope<Page>>('/decisions?module=auth-service');
    expect(mod.body.data!.items).toHaveLength(1);
    const critical = await medic.get<Envelope<Page>>('/decisions?risk_level=critical');
    expect(critical.body.data!.items.map((d) => d.kill_id)).toEqual([reports.severe.kill_id]);

    const p1 = await medic.get<Envelope<Page>>('/decisions?page_size=3&page=1');
    const p2 = await medic.get<Envelope<Page>>('/decisions?page_size=3&page=2');
    expect(p1.body.data!.pagination).toEqual({ page: 1, page_size: 3, total: 4, total_pages: 2 });
    expect(p1.body.data!.items).toHaveLength(3);
    expect(p2.body.data!.items).toHaveLength(1);
    const all = [...p1.body.data!.items, ...p2.body.data!.items].map((d) => d.decision_id);
    expect(new Set(all).size).toBe(4);
    const times = p1.body.data!.items.map((d) => d.timestamp);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('filters by time range', async () => {
    const future = await medic.get<Envelope<Page>>('/decisions?since=2099-01-01');
    expect(future.body.data!.items).toHaveLength(0);
    const past = await medic.get<Envelope<Page>>(`/decisions?since=2000-01-01&until=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(past.body.data!.pagination.total).toBe(4);
  });

  it('answers 400 in the envelope for a bad filter, naming it', async () => {
    const res = await medic.get<Envelope<Page>>('/decisions?risk_level=extreme');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, data: null, errors: [{ code: 'validation_error', field: 'risk_level' }] });
    expect(res.body.meta.version).toBe('1.0');
    expect((await medic.get('/decisions/not-a-uuid')).status).toBe(400);
    const missing = await medic.get<Envelope<Decision>>('/decisions/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]!.code).toBe('not_found');
  });

  it('answers 405 with Allow for a method a path does not take, and 404 for a path there is not', async () => {
    const deleted = await medic.call<Envelope<unknown>>('DELETE', '/decisions');
    expect(deleted.status).toBe(405);
    expect(deleted.headers.get('allow')).toBe('GET, HEAD');
    expect(deleted.body.errors[0]).toMatchObject({ code: 'method_not_allowed', message: 'DELETE is not allowed on /api/v1/decisions; it takes GET, HEAD' });
    const queued = await medic.call<Envelope<unknown>>('GET', '/queue/00000000-0000-4000-8000-000000000000/approve');
    expect(queued.status).toBe(405);
    expect(queued.headers.get('allow')).toBe('POST');
    expect((await medic.call('OPTIONS', '/decisions')).status).toBe(405);
    const nowhere = await medic.call<Envelope<unknown>>('DELETE', '/nowhere');
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.errors[0]!.code).toBe('not_found');
  });

  it('answers 401 in the envelope without a valid key, and accepts a Bearer key', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'X-API-Key': 'wrong' },
      { Authorization: 'Bearer wrong' },
      { Authorization: 'Basic abc' },
      // A valid key beside a wrong one: neither is guessed at.
      { Authorization: `Bearer ${medic.api.key}`, 'X-API-Key': 'wrong' },
    ];
    for (const headers of attempts) {
      const res = await medic.get<Envelope<unknown>>('/decisions', headers);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, data: null, errors: [{ code: 'unauthorized' }] });
      expect(res.body.meta.request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await medic.get('/status', {})).status).toBe(401);
    expect((await medic.get('/decisions', { Authorization: `Bearer ${medic.api.key}` })).status).toBe(200);
  });

  it('refuses two different keys sent as two lines of one header, whichever comes first', async () => {
    const valid = medic.api.key;
    for (const [name, lines] of [
      ['authorization', [`Bearer ${valid}`, 'Bearer other']],
      ['authorization', ['Bearer other', `Bearer ${valid}`]],
      ['x-api-key', [valid, 'other']],
    ] as const) {
      const res = await rawGet(`${medic.api.url}/decisions`, { [name]: [...lines] });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ success: false, errors: [{ code: 'unauthorized', message: expect.stringMatching(/^2 different .* headers were given: send one key$/) }] });
    }
    // The same key twice is that key.
    expect((await rawGet(`${medic.api.url}/decisions`, { authorization: [`Bearer ${valid}`, `Bearer ${valid}`] })).status).toBe(200);
  });

  it('serves health without a key, status with one, and echoes the request id', async () => {
    const health = await medic.get<Envelope<{ status: string; checks: Record<string, string>; version: string; uptime_seconds: number }>>('/health', {});
    expect(health.status).toBe(200);
    // The spec's four checks (13.2) and Medic's own; one item waits for a human, far below max_pending.
    expect(health.body.data!.checks).toEqual({ smith_connection: 'ok', siem_connection: 'not_configured', database: 'ok', queue: 'ok', kafka: 'ok', container_engine: 'not_configured', dead_letters: 'ok', step_consumers: 'ok' });
    expect(health.body.data!.status).toBe('healthy');

    const id = '11111111-2222-4333-8444-555555555555';
    const res = await fetch(`${medic.api.url}/status`, { headers: { 'X-API-Key': medic.api.key, 'X-Request-Id': id } });
    expect(res.headers.get('x-request-id')).toBe(id);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; frame-ancestors 'none'/);
    expect(res.headers.get('x-powered-by')).toBeNull();
    const status = (await res.json()) as Envelope<{ mode: { current: string }; decisions: { total: number; by_outcome: Record<string, number> } }>;
    expect(status.meta.request_id).toBe(id);
    expect(status.data!.mode.current).toBe('semi_auto');
    expect(status.data!.decisions).toEqual({ total: 4, by_outcome: { approve_auto: 1, pending_review: 1, deny: 2 } });
  });

  it('publishes an OpenAPI document of the API', async () => {
    const res = await fetch(`${medic.api.url}/openapi.json`);
    expect(res.status).toBe(200);
    // The UI loads its own scripts and styles, and nothing from elsewhere.
    const ui = await fetch(medic.api.url.replace(/\/v1$/, '/docs'));
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui-init.js');
    expect(ui.headers.get('content-security-policy')).toMatch(/^default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/health', '/api/v1/status', '/api/v1/decisions', '/api/v1/decisions/{decision_id}']));
    expect(doc.components.securitySchemes['api-key']).toBeDefined();
    // What any route may answer besides its own: over the rate limit, or while Postgres or Kafka does not answer.
    const approve = (doc.paths['/api/v1/queue/{item_id}/approve'] as { post: { responses: Record<string, { description: string }> } }).post;
    expect(approve.responses['429']!.description).toMatch(/^`rate_limited`/);
    expect(approve.responses['503']!.description).toMatch(/^`unavailable`/);
  });

  it('serves Prometheus metrics counting what the services did', async () => {
    const decisionMetrics = await (await fetch(medic.metricsUrl('decision'))).text();
    expect(decisionMetrics).toMatch(/medic_decisions_total\{outcome="deny",risk_level="[a-z]+",mode="semi_auto",service="decision"\} \d/);
    const listenerMetrics = await (await fetch(medic.metricsUrl('listener'))).text();
    expect(listenerMetrics).toMatch(/medic_kill_reports_total\{verdict="reported",code="",service="listener"\} 4/);
  });

  // After the counting cases: it adds two kills.
  it("shows each step's consumer group and its backlog, growing while the step is down (health degraded, naming it) and gone once it is back", async () => {
    type Group = { group: string; state: string; members: number; lag: number; topics: { topic: string; lag: number; partitions: { partition: number; next: string | null; end: string }[] }[] };
    const groupOf = async (step: string) => {
      const res = await medic.get<Envelope<{ consumer_groups: Group[] | null }>>('/status');
      return res.body.data!.consumer_groups?.find((g) => g.group === `${medic.id}-${step}`);
    };
    const caughtUp = await eventually(async () => {
      const g = await groupOf('decision');
      return g?.state === 'Stable' && g.lag === 0 ? g : undefined;
    }, 'the decision step caught up');
    expect(caughtUp).toMatchObject({ members: 1, topics: expect.arrayContaining([expect.objectContaining({ topic: medic.topics.kill, lag: 0 })]) as unknown });
    expect((await groupOf('listener'))?.topics.map((t) => t.topic)).toEqual([medic.topics.smith]);

    await medic.service('decision').stop();
    const late = [killReport({ target_module: 'late-a' }), killReport({ target_module: 'late-b' })];
    for (const r of late) await medic.publishRaw(smithMessage(r), r.kill_id);
    // The listener appends both KillReported: two records (and their commit markers) nobody has read for the decision step.
    const behind = await eventually(async () => {
      const g = await groupOf('decision');
      return g?.state === 'Empty' && g.lag >= 2 ? g : undefined;
    }, 'the decision step shown behind, with no member');
    expect(behind.members).toBe(0);
    const kill = behind.topics.find((t) => t.topic === medic.topics.kill)!;
    expect(kill.lag).toBe(kill.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.end) - Number(p.next ?? 0)), 0));
    // Health names the step nothing reads for, and why.
    type StepHealth = { status: string; unread?: { group: string; waiting: number; reason: string } };
    const unhealthy = (await medic.get<Envelope<{ status: string; checks: Record<string, string>; steps: Record<string, StepHealth> }>>('/health', {})).body.data!;
    expect(unhealthy).toMatchObject({ status: 'degraded', checks: { step_consumers: 'degraded', dead_letters: 'ok', kafka: 'ok' } });
    expect(unhealthy.steps['decision']).toMatchObject({ status: 'degraded', unread: { group: `${medic.id}-decision`, waiting: behind.lag } });
    expect(unhealthy.steps['decision']!.unread!.reason).toContain(`on ${medic.topics.kill}`);
    expect(unhealthy.steps['listener']).toMatchObject({ status: 'ok' });
    const scraped = await (await fetch(medic.metricsUrl('gateway'))).text();
    const gauge = new RegExp(`medic_consumer_group_lag\\{group="${medic.id}-decision",topic="${medic.topics.kill.replace(/\./g, '\\.')}",service="gateway"\\} (\\d+)`).exec(scraped);
    expect(Number(gauge?.[1])).toBeGreaterThanOrEqual(2);

    await medic.start('decision');
    await eventually(async () => {
      const g = await groupOf('decision');
      return g?.state === 'Stable' && g.lag === 0 ? true : undefined;
    }, 'the decision step caught up again');
    for (const r of late) expect((await byKill(r.kill_id))?.target_module).toBe(r.target_module);
    const healthy = (await medic.get<Envelope<{ status: string; checks: Record<string, string>; steps: Record<string, StepHealth> }>>('/health', {})).body.data!;
    expect(healthy).toMatchObject({ status: 'healthy', checks: { step_consumers: 'ok' } });
    expect(healthy.steps['decision']!.unread).toBeUndefined();
  });

  // Last: a kill report the listener could not take in keeps Medic degraded for the hour after.
  it("is degraded while a report Smith sent was dead-lettered in the last hour, naming the listener and why", async () => {
    await medic.publishRaw('{"not": "a kill report"', 'garbled');
    type Health = Envelope<{ status: string; checks: Record<string, string>; steps: Record<string, { status: string; dead_letters_last_hour: number; last_dead_letter?: { code: string; reason: string } }> }>;
    const health = await eventually(async () => {
      const res = await medic.get<Health>('/health', {});
      return res.body.data?.steps['listener']?.status === 'degraded' ? res.body.data : undefined;
    }, 'the listener degraded');
    expect(health).toMatchObject({ status: 'degraded', checks: { dead_letters: 'degraded', database: 'ok' } });
    expect(health.steps['listener']).toMatchObject({ dead_letters_last_hour: 1, last_dead_letter: { code: expect.any(String) as string } });
    expect(health.steps['listener']!.last_dead_letter!.reason).not.toBe('');
    expect(health.steps['decision']).toMatchObject({ status: 'ok' });
  });
});

describe('health of the approval queue', () => {
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({ services: ['listener', 'decision', 'gateway'], config: { mode: { current: 'manual' }, interfaces: { approval_queue: { max_pending: 2 } } } });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  type Health = Envelope<{ status: string; checks: Record<string, string> }>;
  const queued = (n: number) =>
    eventually(async () => {
      const res = await medic.get<Envelope<{ pagination: { total: number } }>>('/queue');
      return res.body.data?.pagination.total === n ? true : undefined;
    }, `${n} pending`);

  it('is full, and Medic degraded, once interfaces.approval_queue.max_pending items wait for a human', async () => {
    const first = killReport({ target_module: 'queue-a' });
    await medic.publishRaw(smithMessage(first), first.kill_id);
    await queued(1);
    expect((await medic.get<Health>('/health', {})).body.data).toMatchObject({ status: 'healthy', checks: { queue: 'ok' } });

    const second = killReport({ target_module: 'queue-b' });
    await medic.publishRaw(smithMessage(second), second.kill_id);
    await queued(2);
    expect((await medic.get<Health>('/health', {})).body.data).toMatchObject({ status: 'degraded', checks: { queue: 'full', database: 'ok' } });
    const status = await medic.get<Envelope<{ approval_queue: { pending: number; max_pending: number; by_status: Record<string, number> } }>>('/status');
    expect(status.body.data!.approval_queue).toMatchObject({ pending: 2, max_pending: 2 });
    expect(status.body.data!.approval_queue.by_status).toEqual({ pending: 2 });
  });

  type Decision = { kill_id: string; outcome: string; reasoning: string[]; requires_human_review: boolean };
  const decisionOf = (module: string) =>
    eventually(async () => {
      const res = await medic.get<Envelope<{ items: Decision[] }>>(`/decisions?module=${module}`);
      return res.body.data?.items[0];
    }, `the decision on ${module}`);

  it('turns away what would wait for a human while it is full, and takes items again once one is answered', async () => {
    const third = killReport({ target_module: 'queue-c' });
    await medic.publishRaw(smithMessage(third), third.kill_id);
    const denied = await decisionOf('queue-c');
    expect(denied).toMatchObject({ kill_id: third.kill_id, outcome: 'deny', requires_human_review: false });
    expect(denied.reasoning).toContain('Deny: the approval queue is full (2 items wait for a human, at most 2 may), so no human can be asked.');
    expect(denied.reasoning.at(-1)).toBe('Manual mode: a human would decide, but the approval queue is full; outcome deny.');
    await queued(2);

    const items = await medic.get<Envelope<{ items: { item_id: string }[] }>>('/queue');
    expect((await medic.call('POST', `/queue/${items.body.data!.items[0]!.item_id}/deny`, { body: { reason: 'looked at it: a real threat' } })).status).toBe(200);
    await queued(1);
    const fourth = killReport({ target_module: 'queue-d' });
    await medic.publishRaw(smithMessage(fourth), fourth.kill_id);
    expect(await decisionOf('queue-d')).toMatchObject({ kill_id: fourth.kill_id, outcome: 'pending_review', requires_human_review: true });
    await queued(2);
  });
});

describe('metrics turned off (metrics.enabled: false)', () => {
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({ services: ['listener', 'gateway'], config: { metrics: { enabled: false } } });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  it('serves no /metrics, while every service still answers /ready and the API works', async () => {
    for (const name of ['listener', 'gateway'] as const) {
      const ready = await fetch(medic.metricsUrl(name).replace(/\/metrics$/, '/ready'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ service: name, status: 'ready' });
      expect((await fetch(medic.metricsUrl(name))).status).toBe(404);
    }
    expect((await medic.get<Envelope<{ status: string }>>('/health', {})).status).toBe(200);
  });
});
