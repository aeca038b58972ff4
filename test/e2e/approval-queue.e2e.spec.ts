import { randomUUID } from 'node:crypto';
import type { KillEvent } from '@medic/domain';
import { eventually, killEventsOf, killReport, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';


interface Envelope<T> {
  success: boolean;
  data: T | null;
  errors: { code: string; message: string; field?: string }[];
}
interface Approval {
  queue_item_id: string;
  status: string;
  review_reason: string;
  requested_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  notes: string | null;
  denial_reason: string | null;
}
interface QueueItem {
  item_id: string;
  status: string;
  kill_id: string;
  decision_id: string;
  target_module: string;
  risk_level: string;
  risk_score: number;
  reasoning: string[];
  approval: Approval;
  command_id?: string;
}
interface QueuePage {
  items: QueueItem[];
  pagination: { page: number; page_size: number; total: number; total_pages: number };
}

/*
 * The approval queue over REST, against real services: operators' approvals
 * and denials go through the log as commands and come back as the kill
 * workflow's verdicts.
 */
describe('the approval queue over REST (manual mode)', () => {
  const TIMEOUT_SECONDS = 20;
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({
      services: ['listener', 'decision', 'gateway'],
      config: { mode: { current: 'manual' }, interfaces: { approval_queue: { timeout_hours: TIMEOUT_SECONDS / 3600 } } },
      apiKeys: [
        { name: 'alice', role: 'operator' },
        { name: 'bob', role: 'operator' },
        { name: 'vera', role: 'viewer' },
      ],
    });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  const eventsOf = (killId: string, until: (events: KillEvent[]) => boolean, what: string, timeoutMs?: number) => killEventsOf(medic, killId, until, what, timeoutMs);

  /** Reports a kill as Smith would and waits for its item in the queue. */
  async function queued(overrides: Parameters<typeof killReport>[0] = {}): Promise<QueueItem> {
    const r = killReport(overrides);
    await medic.publishRaw(smithMessage(r), r.kill_id);
    return eventually(async () => {
      const res = await medic.call<Envelope<QueuePage>>('GET', `/queue?module=${encodeURIComponent(r.target_module)}&page_size=200`);
      return res.body.data?.items.find((i) => i.kill_id === r.kill_id);
    }, `a queue item for ${r.kill_id}`);
  }

  const approve = (itemId: string, as: string, body?: unknown, headers?: Record<string, string>) =>
    medic.call<Envelope<QueueItem>>('POST', `/queue/${itemId}/approve`, { as, body, headers });
  const deny = (itemId: string, as: string, body?: unknown, headers?: Record<string, string>) =>
    medic.call<Envelope<QueueItem>>('POST', `/queue/${itemId}/deny`, { as, body, headers });
  const inQueue = async (itemId: string) => (await medic.call<Envelope<QueuePage>>('GET', '/queue?page_size=200')).body.data!.items.some((i) => i.item_id === itemId);

  it('lists a pending item with its kill, risk, reasoning and times, and approves it over REST', async () => {
    const item = await queued({ target_module: 'billing-api' });
    expect(item).toMatchObject({ status: 'pending', target_module: 'billing-api', approval: { status: 'pending', decided_by: null } });
    expect(item.reasoning.length).toBeGreaterThan(0);
    expect(['minimal', 'low', 'medium', 'high', 'critical']).toContain(item.risk_level);
    expect(Date.parse(item.approval.expires_at) - Date.parse(item.approval.requested_at)).toBe(TIMEOUT_SECONDS * 1000);
    expect((await medic.call<Envelope<QueueItem>>('GET', `/queue/${item.item_id}`, { as: 'vera' })).body.data).toMatchObject({ item_id: item.item_id, status: 'pending' });

    const res = await approve(item.item_id, 'alice', { notes: 'checked with the owning team' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ item_id: item.item_id, status: 'granted', approval: { status: 'granted', decided_by: 'alice', notes: 'checked with the owning team' } });

    const events = await eventsOf(item.kill_id, (es) => es.some((e) => e.type === 'ApprovalGranted'), 'the approval on the log');
    expect(events.filter((e) => e.type === 'ApprovalGranted')).toEqual([
      expect.objectContaining({ approver: 'alice', notes: 'checked with the owning team', commandId: res.body.data!.command_id }),
    ]);
    expect(await inQueue(item.item_id)).toBe(false);
    const decision = await medic.call<Envelope<{ status: string; approval: Approval }>>('GET', `/decisions/${item.decision_id}`);
    expect(decision.body.data).toMatchObject({
      status: 'approved',
      outcome: 'approve_manual',
      approval: { queue_item_id: item.item_id, status: 'granted', decided_by: 'alice', notes: 'checked with the owning team' },
    });
    expect(Date.parse(decision.body.data!.approval.decided_at!)).toBeGreaterThan(0);
    const manual = await medic.call<Envelope<{ items: { decision_id: string; outcome: string }[] }>>('GET', '/decisions?outcome=approve_manual&page_size=200');
    expect(manual.body.data!.items.map((d) => d.decision_id)).toContain(item.decision_id);
    expect(manual.body.data!.items.every((d) => d.outcome === 'approve_manual')).toBe(true);
  });

  it('denies only with a reason, records the denier, and refuses an approval after the denial with the reason', async () => {
    const item = await queued();
    for (const body of [undefined, {}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(1001) }, { reason: 42 }, { reason: 'ok', extra: 1 }]) {
      const res = await deny(item.item_id, 'bob', body);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'validation_error' });
    }
    expect(await inQueue(item.item_id)).toBe(true);

    const denied = await deny(item.item_id, 'bob', { reason: 'the binary hash matches a known implant' });
    expect(denied.status).toBe(200);
    expect(denied.body.data).toMatchObject({ status: 'denied', approval: { decided_by: 'bob', denial_reason: 'the binary hash matches a known implant' } });
    const events = await eventsOf(item.kill_id, (es) => es.some((e) => e.type === 'ApprovalDenied'), 'the denial on the log');
    expect(events.filter((e) => e.type === 'ApprovalDenied')).toEqual([expect.objectContaining({ denier: 'bob', reason: 'the binary hash matches a known implant' })]);

    const late = await approve(item.item_id, 'alice');
    expect(late.status).toBe(409);
    expect(late.body.success).toBe(false);
    expect(late.body.errors[0]!.message).toMatch(/DENIED/);
    const after = await eventsOf(item.kill_id, (es) => es.some((e) => e.type === 'CommandRejected'), 'the refusal on the log');
    expect(after.filter((e) => e.type === 'CommandRejected')).toEqual([expect.objectContaining({ commandType: 'GrantApproval', actor: 'alice' })]);
    expect(after.filter((e) => e.type === 'ApprovalGranted')).toHaveLength(0);
  });

  it('lets viewers read the queue but not act on it, and names unknown or malformed items', async () => {
    const item = await queued();
    expect((await medic.call('GET', '/queue', { as: 'vera' })).status).toBe(200);
    for (const act of [approve, deny]) {
      const res = await act(item.item_id, 'vera', { reason: 'no' });
      expect(res.status).toBe(403);
      expect(res.body.errors[0]).toMatchObject({ code: 'forbidden' });
    }
    expect((await approve(randomUUID(), 'alice')).status).toBe(404);
    expect((await medic.call('GET', `/queue/${randomUUID()}`)).status).toBe(404);
    expect((await approve('not-a-uuid', 'alice')).status).toBe(400);
    expect((await medic.call('GET', '/queue?outcome=deny')).status).toBe(400);
    expect((await medic.call('GET', '/queue?page_size=0')).status).toBe(400);
    // A body the parser refuses before any route runs is still the client's fault, in the envelope.
    const huge = await deny(item.item_id, 'bob', { reason: 'x'.repeat(3_000_000) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ success: false, errors: [{ code: 'payload_too_large' }] });
    const malformed = await medic.call<Envelope<unknown>>('POST', `/queue/${item.item_id}/deny`, { as: 'bob', headers: { 'Content-Type': 'application/json; charset=koi8-r' }, body: { reason: 'no' } });
    expect(malformed.status).toBe(415);
    expect(malformed.body.errors[0]).toMatchObject({ code: 'unsupported_media_type' });
    // A body that is not JSON in UTF-8 is refused before anything is done, not read as no body at all.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16']) {
      const res = await fetch(`${medic.api.url}/queue/${item.item_id}/approve`, { method: 'POST', headers: { 'X-API-Key': medic.api.key, 'Content-Type': type }, body: 'notes=hello' });
      expect(res.status).toBe(415);
      expect(((await res.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'unsupported_media_type' });
    }
    // UTF-8 however the type spells it is read (and this body refused for what it says, not for its type).
    const spelt = await fetch(`${medic.api.url}/queue/${item.item_id}/deny`, { method: 'POST', headers: { 'X-API-Key': medic.api.key, 'Content-Type': 'Application/JSON; charset=UTF8' }, body: '{"reason":""}' });
    expect(spelt.status).toBe(400);
    expect(((await spelt.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'validation_error', field: 'reason' });
    // Bytes that are not UTF-8, and a lone surrogate escape, are not text: refused, not stored garbled.
    const notUtf8 = await fetch(`${medic.api.url}/queue/${item.item_id}/deny`, {
      method: 'POST',
      headers: { 'X-API-Key': medic.api.key, 'Content-Type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"reason":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    });
    expect(notUtf8.status).toBe(415);
    expect(((await notUtf8.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/not valid UTF-8/) });
    const surrogate = await fetch(`${medic.api.url}/queue/${item.item_id}/deny`, {
      method: 'POST',
      headers: { 'X-API-Key': medic.api.key, 'Content-Type': 'application/json' },
      body: '{"reason":"\\ud800 broken"}',
    });
    expect(surrogate.status).toBe(400);
    expect(((await surrogate.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'validation_error', field: 'reason', message: expect.stringMatching(/^reason: holds a lone surrogate escape/) });
    // Nesting deep enough to overflow a recursive walk is refused as such, not with the stack's message.
    const deep = await fetch(`${medic.api.url}/queue/${item.item_id}/deny`, {
      method: 'POST',
      headers: { 'X-API-Key': medic.api.key, 'Content-Type': 'application/json' },
      body: `{"reason":"r","notes":${'['.repeat(3_000)}${']'.repeat(3_000)}}`,
    });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'validation_error', message: expect.stringMatching(/more than 32 deep$/) });
    // A member named twice is refused: JSON.parse alone would deny with the last reason, "x", and drop the first.
    // Behind a byte order mark too, which the parser reads past.
    for (const body of ['{"reason":"checked, it was a threat","reason":"x"}', '\uFEFF{"reason":"checked, it was a threat","reason":"x"}']) {
      const twice = await fetch(`${medic.api.url}/queue/${item.item_id}/deny`, { method: 'POST', headers: { 'X-API-Key': medic.api.key, 'Content-Type': 'application/json' }, body });
      expect(twice.status).toBe(400);
      expect(((await twice.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'validation_error', field: 'reason', message: expect.stringMatching(/twice/) });
    }
    // A bare JSON value is read, and the route says what it takes: a JSON object, not null nor an empty list.
    for (const bare of [null, 'no', []]) {
      const res = await deny(item.item_id, 'bob', bare);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ field: 'body', message: 'body: must be a JSON object' });
    }
    for (const bare of [null, []]) expect((await approve(item.item_id, 'alice', bare)).status).toBe(400);
    expect((await deny(item.item_id, 'bob', {})).body.errors[0]).toMatchObject({ field: 'reason', message: expect.stringMatching(/^reason: is required to deny/) });
    expect(await inQueue(item.item_id)).toBe(true);
  });

  it('answers 202 with a status URL while the workflow is down, which tells the verdict once it answers; a command never sent is unknown there', async () => {
    const item = await queued();
    await medic.service('decision').stop();
    type CommandStatus = { command_id: string; status: string; answered_at: string | null; status_url: string };
    const asked = await medic.call<Envelope<CommandStatus>>('POST', `/queue/${item.item_id}/approve`, { as: 'alice', body: { notes: 'while the workflow restarts' } });
    expect(asked.status).toBe(202);
    const { status_url: statusUrl } = asked.body.data!;
    expect(asked.body.data).toMatchObject({ status: 'pending', answered_at: null });
    expect(asked.headers.get('location')).toBe(statusUrl);
    const statusPath = statusUrl.replace(/^\/api\/v1/, '');
    expect((await medic.get<Envelope<CommandStatus>>(statusPath)).body.data).toMatchObject({ status: 'pending', command_id: asked.body.data!.command_id });
    // An id nobody sent (a mistyped status URL) is a 404, not "pending" for ever.
    const unknown = await medic.get<Envelope<unknown>>(`/queue/${item.item_id}/commands/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0]).toMatchObject({ code: 'not_found' });
    // The auditor sees the command sent and not answered.
    const audit = async () => (await medicCli(['replay', 'audit', item.kill_id], { env: cliEnv(medic) })).stdout;
    expect(await audit()).toMatch(
      new RegExp(`Commands about kill ${item.kill_id} the kill workflow has not answered \\(1;[^\n]*\n\\S+ +GrantApproval from alice +\\[command ${asked.body.data!.command_id}, `),
    );

    await medic.start('decision');
    const answered = await eventually(async () => {
      const { body } = await medic.get<Envelope<CommandStatus>>(statusPath);
      return body.data!.status === 'pending' ? undefined : body.data!;
    }, 'the verdict at the status URL', 60_000);
    expect(answered).toMatchObject({ status: 'accepted' });
    expect(answered.answered_at).not.toBeNull();
    expect(await inQueue(item.item_id)).toBe(false);
    const after = await audit();
    expect(after).toMatch(/ApprovalGranted +approved by alice at .*: while the workflow restarts/);
    expect(after).not.toMatch(/has not answered/);
  });

  it('gives two operators approving at the same moment one approval and one 409', async () => {
    const item = await queued();
    const [a, b] = await Promise.all([approve(item.item_id, 'alice'), approve(item.item_id, 'bob')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const events = await eventsOf(item.kill_id, (es) => es.filter((e) => e.type === 'ApprovalGranted' || e.type === 'CommandRejected').length >= 2, 'both answers');
    expect(events.filter((e) => e.type === 'ApprovalGranted')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'CommandRejected')).toHaveLength(1);
  });

  it('answers a POST retried with the same Idempotency-Key with the first answer, acting once', async () => {
    const item = await queued();
    const key = { 'Idempotency-Key': `retry-${randomUUID()}` };
    const first = await approve(item.item_id, 'alice', { notes: 'once' }, key);
    const again = await approve(item.item_id, 'alice', { notes: 'once' }, key);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    // The same key for another request is a client error, not a second action.
    expect((await approve(item.item_id, 'alice', { notes: 'twice' }, key)).status).toBe(422);
    expect((await approve(item.item_id, 'alice', undefined, { 'Idempotency-Key': 'bad key with spaces' })).status).toBe(400);

    // A refusal is remembered too: the retry gets the same 409, and the log one refusal.
    const refusedKey = { 'Idempotency-Key': randomUUID() };
    const refused = await deny(item.item_id, 'bob', { reason: 'too late' }, refusedKey);
    const refusedAgain = await deny(item.item_id, 'bob', { reason: 'too late' }, refusedKey);
    expect([refused.status, refusedAgain.status]).toEqual([409, 409]);
    expect(refusedAgain.body.errors).toEqual(refused.body.errors);

    const events = await eventsOf(item.kill_id, (es) => es.some((e) => e.type === 'CommandRejected'), 'the refusal');
    expect(events.filter((e) => e.type === 'ApprovalGranted')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'CommandRejected')).toHaveLength(1);
  });

  it('expires an unanswered item once after the timeout; an approval after that is refused', async () => {
    const item = await queued();
    const events = await eventsOf(item.kill_id, (es) => es.some((e) => e.type === 'ApprovalExpired'), 'the expiry', (TIMEOUT_SECONDS + 20) * 1000);
    expect(events.filter((e) => e.type === 'ApprovalExpired')).toHaveLength(1);
    const expired = await eventually(async () => {
      const res = await medic.call<Envelope<QueueItem>>('GET', `/queue/${item.item_id}`);
      return res.body.data?.status === 'expired' ? res.body.data : undefined;
    }, 'the item shown expired');
    expect(expired.approval.decided_by).toMatch(/timer/);
    expect(await inQueue(item.item_id)).toBe(false);
    const late = await approve(item.item_id, 'alice');
    expect(late.status).toBe(409);
    expect(late.body.errors[0]!.message).toMatch(/expired/i);
  });

  it('serves Prometheus text on /metrics with the queue figures', async () => {
    const pending = await queued();
    const res = await fetch(medic.metricsUrl('gateway'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^medic_approval_queue_pending\{[^}]*\} [1-9]\d*$/m);
    expect(text).toMatch(/^medic_approval_requests_total\{action="approve",answer="200"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^medic_projection_events_applied_total\{projection="gateway.kills"/m);
    const decision = await (await fetch(medic.metricsUrl('decision'))).text();
    expect(decision).toMatch(/^medic_approval_verdicts_total\{[^}]*verdict="approved"[^}]*\} [1-9]/m);
    expect(decision).toMatch(/^medic_commands_rejected_total\{[^}]*\} [1-9]/m);
    await deny(pending.item_id, 'bob', { reason: 'tidy up' });
  });

  it("answers what a service's metrics port does not serve in the error envelope", async () => {
    const port = new URL(medic.metricsUrl('decision'));
    const unknown = await fetch(new URL('/health', port));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-powered-by')).toBeNull();
    const notFound = (await unknown.json()) as Envelope<unknown> & { meta: { request_id: string } };
    expect(notFound).toMatchObject({ success: false, data: null, errors: [{ code: 'not_found', message: 'Cannot GET /health', field: null }] });
    expect(notFound.meta.request_id).toBe(unknown.headers.get('x-request-id'));
    const wrongMethod = await fetch(port, { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    expect(((await wrongMethod.json()) as Envelope<unknown>).errors[0]).toMatchObject({ code: 'method_not_allowed' });
    const metrics = await fetch(port);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('x-powered-by')).toBeNull();
  });

  it('reports the steps that dead-lettered a poison record as degraded in /health', async () => {
    expect((await medic.call<{ status: string }>('GET', '/health')).body).toMatchObject({ data: { status: 'healthy' } });
    const producer = medic.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: medic.topics.kill,
      messages: [{ key: 'poison', value: Buffer.from('no protobuf at all'), headers: { ce_type: 'medic.kill.v1.ApprovalGranted', ce_id: randomUUID(), ce_subject: 'poison' } }],
    });
    await producer.disconnect();
    const health = await eventually(async () => {
      const res = await medic.call<Envelope<{ status: string; checks: Record<string, string>; steps: Record<string, { status: string; last_dead_letter?: { code: string } }> }>>('GET', '/health');
      return res.body.data?.steps['gateway']?.status === 'degraded' && res.body.data.steps['decision']?.status === 'degraded' ? res.body.data : undefined;
    }, 'both steps degraded');
    expect(health).toMatchObject({ status: 'degraded', checks: { dead_letters: 'degraded', database: 'ok', kafka: 'ok' } });
    expect(health.steps['decision']!.last_dead_letter).toMatchObject({ code: 'undecodable' });
    expect(health.steps['listener']!.status).toBe('ok');
    // Kills behind the poison are still decided and queued.
    await queued();
  });

  it('rebuilds every projection from the log to exactly the live rows', async () => {
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        kills: 'SELECT * FROM gateway.kills ORDER BY kill_id',
        verdicts: 'SELECT * FROM gateway.command_verdicts ORDER BY command_id',
        deadLetters: 'SELECT * FROM gateway.dead_letters ORDER BY id',
        killState: 'SELECT kill_id, partition, status, target_module, state, auto_approved_at FROM decision.kill_state ORDER BY kill_id',
        days: 'SELECT * FROM decision.module_daily ORDER BY target_module, day, source_partition',
        timers: 'SELECT timer_id, kill_id, due_at, command, traceparent FROM decision.kill_timers ORDER BY timer_id',
      });
    // Nothing in flight: every pending item answered, so no timer fires during the comparison.
    for (const item of (await medic.call<Envelope<QueuePage>>('GET', '/queue?page_size=200')).body.data!.items) await deny(item.item_id, 'bob', { reason: 'closing' });
    await eventually(async () => ((await medic.call<Envelope<QueuePage>>('GET', '/queue')).body.data?.pagination.total === 0 ? true : undefined), 'an empty queue');
    const live = await snapshot();
    expect(live['verdicts']!.length).toBeGreaterThanOrEqual(8);
    expect(live['deadLetters']!.length).toBeGreaterThanOrEqual(2);
    const env = cliEnv(medic);
    const rebuilt = await medicCli(['replay', 'rebuild'], { env });
    for (const name of ['gateway.kills', 'gateway.command_verdicts', 'gateway.dead_letters', 'decision.workflow']) {
      expect(rebuilt.stdout).toMatch(new RegExp(`rebuilt ${name.replace('.', '\\.')}: \\d+ events applied`));
    }
    expect(await snapshot()).toEqual(live);
  });
});
