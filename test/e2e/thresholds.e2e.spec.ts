import type { DecisionMade, KillEvent } from '@medic/domain';
import { eventually, killEventsOf, killReport, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';


interface Envelope<T> {
  readonly success: boolean;
  readonly data: T;
  readonly errors: { code: string; message: string; field?: string }[];
}

/** A JSON document read loosely: the tests look into it by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

interface Thresholds {
  thresholds: { minimal: number; low: number; medium: number; high: number };
  max_risk_level: string;
  min_confidence: number;
  source: 'config' | 'update';
  updated_at: string | null;
  updated_by: string | null;
  reason: string | null;
  configured: { thresholds: Record<string, number>; max_risk_level: string; min_confidence: number };
}

/*
 * The configuration over REST, and thresholds an admin changes while Medic
 * runs: PUT /config/thresholds appends ThresholdsUpdated to the control log,
 * the kill workflow decides by it from then on, and a rebuild comes to the
 * same thresholds.
 */
describe('configuration and thresholds changed at run time', () => {
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({
      services: ['listener', 'decision', 'gateway'],
      config: { mode: { current: 'semi_auto' }, decision: { auto_approve: { enabled: true } } },
      apiKeys: [
        { name: 'olga', role: 'operator' },
        { name: 'vera', role: 'viewer' },
      ],
    });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  /**
   * A kill whose score is 0.3375 (likelihood 0.45, medium severity, default criticality):
   * low risk under the configured thresholds, 0.0625 from the next one, so its decision
   * confidence is 0.8125, short of the configured 0.85 auto-approval minimum.
   */
  async function decisionOfBorderlineKill(): Promise<DecisionMade['decision']> {
    const r = killReport({ target_module: 'borderline-svc', severity: 'medium', confidence_score: 0.45 });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    const events = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'DecisionMade'), `the decision of ${r.kill_id}`);
    return (events.find((e): e is KillEvent & DecisionMade => e.type === 'DecisionMade')!).decision;
  }

  const put = (body: unknown, as?: string) => medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body, ...(as ? { as } : {}) });

  it('shows the configuration with its secrets redacted', async () => {
    const res = await medic.call<Envelope<Loose>>('GET', '/config', { as: 'vera' });
    expect(res.status).toBe(200);
    const config = res.body.data;
    expect(config['mode']).toMatchObject({ current: 'semi_auto' });
    expect(config['risk']['thresholds']).toEqual({ minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 });
    const keys = config['api']['keys'] as { name: string; key_sha256: string }[];
    expect(keys.map((k) => k.name).sort()).toEqual(['olga', 'test', 'vera']);
    for (const k of keys) expect(k.key_sha256).not.toMatch(/^[0-9a-f]{64}$/);
    const password = new URL(medic.databaseUrl).password;
    if (password) expect(JSON.stringify(config)).not.toContain(password);
  });

  it('changes nothing for a viewer or an operator, nor for a body that cannot hold, each refused with the field named', async () => {
    expect((await put({ min_confidence: 0.5, reason: 'r' }, 'vera')).status).toBe(403);
    expect((await put({ min_confidence: 0.5, reason: 'r' }, 'olga')).status).toBe(403);
    const refused: [unknown, string, RegExp][] = [
      [{ min_confidence: 0.5 }, 'reason', /required/],
      [{ reason: 'nothing else' }, 'body', /nothing to change/],
      [{ thresholds: { low: 0.7 }, reason: 'r' }, 'thresholds.medium', /greater than thresholds.low \(0.7\)/],
      [{ thresholds: { high: 1 }, reason: 'r' }, 'thresholds.high', /between 0 and 1/],
      [{ thresholds: { severe: 0.9 }, reason: 'r' }, 'thresholds.severe', /unknown threshold/],
      [{ thresholds: { low: '0.3' }, reason: 'r' }, 'thresholds.low', /must be a number/],
      [{ max_risk_level: 'critical', reason: 'r' }, 'max_risk_level', /critical is always denied/],
      [{ max_risk_level: 'extreme', reason: 'r' }, 'max_risk_level', /must be one of minimal, low, medium, high/],
      [{ min_confidence: 1.5, reason: 'r' }, 'min_confidence', /from 0 to 1/],
      [{ min_confidence: 0.5, reason: 'r', mode: 'full_auto' }, 'mode', /unknown field/],
      [[0.5], 'body', /JSON object/],
    ];
    for (const [body, field, message] of refused) {
      const res = await put(body);
      expect([res.status, res.body.errors[0]?.field]).toEqual([400, field]);
      expect(res.body.errors[0]?.message).toMatch(message);
    }
    const now = await medic.call<Envelope<Thresholds>>('GET', '/config/thresholds', { as: 'vera' });
    expect(now.body.data).toMatchObject({ source: 'config', min_confidence: 0.85, max_risk_level: 'low', updated_by: null, thresholds: { minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 } });
  });

  it('decides the kills after an update by the thresholds it sets, shows them everywhere, and rebuilds them from the log', async () => {
    const before = await decisionOfBorderlineKill();
    expect(before).toMatchObject({ outcome: 'pending_review', riskLevel: 'low', confidence: 0.8125 });

    // A lower confidence minimum: the same kind of kill is auto-approved now.
    const lowered = await put({ min_confidence: 0.8, reason: 'two weeks of outcomes say these were false positives' });
    expect(lowered.status).toBe(200);
    expect(lowered.body.data).toMatchObject({
      source: 'update',
      min_confidence: 0.8,
      max_risk_level: 'low',
      updated_by: 'test',
      reason: 'two weeks of outcomes say these were false positives',
      configured: { min_confidence: 0.85, max_risk_level: 'low' },
    });
    expect(await decisionOfBorderlineKill()).toMatchObject({ outcome: 'approve_auto', riskLevel: 'low' });

    // A lower bound for low risk: its score is medium risk now, above what auto-approval takes; the confidence minimum stays.
    const tightened = await put({ thresholds: { low: 0.3 }, reason: 'fewer low-risk verdicts' });
    expect(tightened.body.data).toMatchObject({ min_confidence: 0.8, thresholds: { minimal: 0.2, low: 0.3, medium: 0.6, high: 0.8 } });
    const after = await decisionOfBorderlineKill();
    expect(after).toMatchObject({ outcome: 'pending_review', riskLevel: 'medium' });
    expect(after.reasoning.join(' ')).toMatch(/risk level medium is above the auto-approve maximum low/);

    const shown = await medic.call<Envelope<Thresholds>>('GET', '/config/thresholds', { as: 'vera' });
    expect(shown.body.data).toEqual(tightened.body.data);
    // The audit trail: every change, the latest first.
    const history = (await medic.call<Envelope<{ items: Loose[]; pagination: Loose }>>('GET', '/config/thresholds/history', { as: 'vera' })).body.data;
    expect(history.pagination).toMatchObject({ total: 2 });
    expect(history.items.map((c): unknown[] => [c['changed_by'], c['reason'], c['min_confidence'], c['thresholds']['low']])).toEqual([
      ['test', 'fewer low-risk verdicts', 0.8, 0.3],
      ['test', 'two weeks of outcomes say these were false positives', 0.8, 0.4],
    ]);
    expect(history.items[0]!['changed_at']).toBe(tightened.body.data.updated_at);
    expect((await medic.call<Envelope<Loose>>('GET', '/config/thresholds/history?until=2020-01-01T00:00:00Z')).body.data['items']).toEqual([]);
    expect((await medic.call<Envelope<Loose>>('GET', '/config/thresholds/history?actor=test')).status).toBe(400);
    const config = (await medic.call<Envelope<Loose>>('GET', '/config')).body.data;
    expect(config['risk']['thresholds']).toEqual({ minimal: 0.2, low: 0.3, medium: 0.6, high: 0.8 });
    expect(config['decision']['auto_approve']).toMatchObject({ max_risk_level: 'low', min_confidence: 0.8 });
    // Read back from jsonb, the thresholds still go from minimal to high wherever they are shown.
    const inOrder = ['minimal', 'low', 'medium', 'high'];
    expect([config['risk']['thresholds'], shown.body.data.thresholds, history.items[0]!['thresholds']].map((t) => Object.keys(t as object))).toEqual([inOrder, inOrder, inOrder]);
    const status = (await medic.call<Envelope<Loose>>('GET', '/status')).body.data;
    expect(status['auto_approve']).toMatchObject({ enabled: true, max_risk_level: 'low', min_confidence: 0.8 });
    expect(status['risk_thresholds']).toEqual({ minimal: 0.2, low: 0.3, medium: 0.6, high: 0.8, source: 'update' });

    // Both services' thresholds fold again from the control log to what they are.
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        decision: 'SELECT scope, updated_at, actor, reason, thresholds, max_risk_level, min_confidence FROM decision.decision_thresholds',
        gateway: 'SELECT scope, updated_at, actor, reason, thresholds, max_risk_level, min_confidence FROM gateway.decision_thresholds',
      });
    const live = await snapshot();
    expect(live.decision).toHaveLength(1);
    expect(live.decision).toEqual(live.gateway);
    const env = cliEnv(medic);
    for (const projection of ['decision.workflow', 'gateway.decision_thresholds']) {
      const rebuilt = await medicCli(['replay', 'rebuild', '--projection', projection], { env });
      expect(rebuilt.stdout).toMatch(new RegExp(`rebuilt ${projection.replace('.', '\\.')}`));
    }
    expect(await snapshot()).toEqual(live);
    // The workflow goes on deciding by them.
    expect(await decisionOfBorderlineKill()).toMatchObject({ outcome: 'pending_review', riskLevel: 'medium' });
  });

  it("reports the day's and the week's kills, decisions and approvals, and refuses a date that is not one", async () => {
    // This stack's whole history: the four borderline kills above, one auto-approved and three waiting for a human.
    const today = new Date().toISOString().slice(0, 10);
    const daily = await medic.call<Envelope<Loose>>('GET', `/reports/daily?date=${today}`, { as: 'vera' });
    expect(daily.status).toBe(200);
    const day = daily.body.data;
    expect(day['period']).toMatchObject({ kind: 'daily', from: `${today}T00:00:00.000Z`, time_zone: 'UTC', complete: false });
    expect(day['kills']).toMatchObject({
      reported: 4,
      decided: 4,
      observed: 0,
      by_outcome: { approve_auto: 1, pending_review: 3, deny: 0, approve_manual: 0, defer: 0 },
      observed_by_outcome: { approve_auto: 0, pending_review: 0, deny: 0, approve_manual: 0, defer: 0 },
      by_risk_level: { low: 2, medium: 2, high: 0 },
      by_severity: { medium: 4, low: 0 },
      by_reason: { anomaly_behavior: 4 },
      auto_approval_rate: 0.25,
      deny_rate: 0,
    });
    const latency = day['kills']['decision_latency_ms'] as { p50: number; p95: number; max: number };
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.max).toBeGreaterThanOrEqual(latency.p95);
    expect(day['approvals']).toMatchObject({ requested: 3, by_status: { pending: 3, granted: 0, denied: 0, expired: 0 }, answered_by: [] });
    expect(day['top_modules']).toEqual([{ module: 'borderline-svc', kills: 4, denied: 0, auto_approved: 1, pending: 3 }]);
    expect(day['resurrections']).toMatchObject({ requested: 0 });
    expect(day['outcomes']).toMatchObject({ total: 0, success_rate: null });
    expect(day['previous_period']).toMatchObject({ reported: 0, decided: 0 });
    expect(day['per_day']).toBeUndefined();
    expect((day['threshold_changes'] as Loose[]).map((c): unknown[] => [c['changed_by'], c['min_confidence'], c['thresholds']['low']])).toEqual([
      ['test', 0.8, 0.4],
      ['test', 0.8, 0.3],
    ]);

    const weekly = (await medic.call<Envelope<Loose>>('GET', `/reports/weekly?date=${today}`)).body.data;
    expect(weekly['kills']).toEqual(day['kills']);
    expect(weekly['per_day']).toHaveLength(7);
    expect((weekly['per_day'] as Loose[]).find((d) => d['date'] === today)).toMatchObject({ reported: 4, decided: 4, by_outcome: { approve_auto: 1, pending_review: 3 } });
    expect((weekly['per_day'] as Loose[]).filter((d) => d['date'] !== today).every((d) => d['reported'] === 0)).toBe(true);

    // Another day has nothing; a date that is not one is refused.
    expect((await medic.call<Envelope<Loose>>('GET', '/reports/daily?date=2020-01-01')).body.data['kills']).toMatchObject({ reported: 0, auto_approval_rate: null });
    const refused = await medic.call<Envelope<Loose>>('GET', '/reports/daily?date=2026-02-30');
    expect([refused.status, refused.body.errors[0]?.field]).toEqual([400, 'date']);
    expect((await medic.call<Envelope<Loose>>('GET', '/reports/weekly?from=2026-01-01')).status).toBe(400);
  });

  it('decides the logged kills again under other thresholds with medic replay recalibrate, changing nothing', async () => {
    const env = cliEnv(medic);
    const recalibrate = (...args: string[]) => medicCli(['replay', 'recalibrate', ...args], { env });
    // In force: low from 0.3, confidence from 0.8. All four kills score 0.3375: with low up to 0.4 again they are low
    // risk at confidence 0.8125, which 0.8 lets through.
    const text = await recalibrate('--low', '0.4');
    expect(text.stdout).toMatch(/^Re-deciding 4 of 4 decided kills from the log/);
    expect(text.stdout).toMatch(/in force \(set by test at .*\): risk levels minimal < 0.2 ≤ low < 0.3 ≤ medium < 0.6 .* auto-approve up to low at confidence ≥ 0.8/);
    expect(text.stdout).toMatch(/what-if: +risk levels minimal < 0.2 ≤ low < 0.4 ≤ medium/);
    expect(text.stdout).toMatch(/approve_auto +1 +4\n/);
    expect(text.stdout).toMatch(/pending_review +3 +0\n/);
    expect(text.stdout).toMatch(/Decided differently: 3\n/);
    expect(text.stdout).toMatch(/borderline-svc +score 0.3375: pending_review \(medium, confidence [\d.]+\) → approve_auto \(low, confidence 0.8125\)/);

    const json = JSON.parse((await recalibrate('--low', '0.4', '--json', '--changes', '1')).stdout) as Loose;
    expect(json['by_outcome']).toEqual({
      recorded: { approve_auto: 1, approve_manual: 0, pending_review: 3, deny: 0, defer: 0 },
      what_if: { approve_auto: 4, approve_manual: 0, pending_review: 0, deny: 0, defer: 0 },
    });
    expect(json['in_force']).toMatchObject({ min_confidence: 0.8, max_risk_level: 'low', thresholds: { low: 0.3 }, from: expect.stringMatching(/^set by test at /) as unknown });
    expect(json['what_if']).toMatchObject({ min_confidence: 0.8, thresholds: { low: 0.4 } });
    expect([json['changed_total'], json['changed']]).toEqual([3, [expect.objectContaining({ module: 'borderline-svc', recorded: expect.objectContaining({ outcome: 'pending_review', risk_level: expect.stringMatching(/^(low|medium)$/) as unknown }) as unknown, what_if: { outcome: 'approve_auto', risk_level: 'low', confidence: 0.8125 }, observed: false })]]);
    expect(json['newly_auto_approved_without_outcome']).toBe(3);

    // With high at 0.45 the default criticality (0.5) makes every module critical: a human would decide each kill.
    const critical = JSON.parse((await recalibrate('--low', '0.4', '--medium', '0.42', '--high', '0.45', '--json')).stdout) as Loose;
    expect(critical['by_outcome']['what_if']).toMatchObject({ approve_auto: 0, pending_review: 4 });

    // Under the thresholds in force, only the kill auto-approved before low was lowered to 0.3 comes out otherwise.
    const inForce = (await recalibrate()).stdout;
    expect(inForce).toMatch(/Decided differently: 1\n/);
    expect(inForce).toMatch(/score 0.3375: approve_auto \(low, confidence 0.8125\) → pending_review \(medium, confidence 0.6875\)/);
    // A set that cannot hold is a usage error.
    await expect(recalibrate('--low', '0.7')).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot hold: medium \(in force, not given\) must be greater than thresholds.low \(0.7\)/) as unknown });
    // It read the log and changed nothing.
    expect((await medic.call<Envelope<Thresholds>>('GET', '/config/thresholds')).body.data).toMatchObject({ min_confidence: 0.8, thresholds: { low: 0.3 } });
  });

  it('lets an update name the thresholds it was made over (If-Match), and loses neither of two updates made at once', async () => {
    const read = await medic.call<Envelope<Thresholds>>('GET', '/config/thresholds');
    const etag = read.headers.get('etag')!;
    expect(etag).toBe(`"${read.body.data.updated_at}"`);
    const first = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body: { min_confidence: 0.82, reason: 'as read' }, headers: { 'If-Match': etag } });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).not.toBe(etag);
    // The same tag again: the thresholds are no longer those it names.
    const stale = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body: { min_confidence: 0.9, reason: 'as read before' }, headers: { 'If-Match': etag } });
    expect([stale.status, stale.body.errors[0]?.code, stale.body.errors[0]?.field]).toEqual([412, 'precondition_failed', 'If-Match']);
    expect(stale.body.errors[0]?.message).toMatch(/changed since they were read/);

    // Two admins at once, each changing one thing: both changes hold.
    const [a, b] = await Promise.all([put({ thresholds: { minimal: 0.15 }, reason: 'one' }), put({ max_risk_level: 'minimal', reason: 'two' })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const now = (await medic.call<Envelope<Thresholds>>('GET', '/config/thresholds')).body.data;
    expect(now).toMatchObject({ min_confidence: 0.82, max_risk_level: 'minimal', thresholds: { minimal: 0.15, low: 0.3 } });
  });

  it('answers an update retried with the same Idempotency-Key with the first answer, appending it once', async () => {
    const history = async () => (await medic.call<Envelope<{ pagination: { total: number } }>>('GET', '/config/thresholds/history')).body.data.pagination.total;
    const before = await history();
    const key = { 'Idempotency-Key': `thresholds-${Date.now()}` };
    const body = { min_confidence: 0.83, reason: 'once only' };
    const first = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body, headers: key });
    const again = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body, headers: key });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body.data).toEqual(first.body.data);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await eventually(async () => ((await history()) === before + 1 ? true : undefined), 'the one change in the history')).toBe(true);
    // Another request under the key is refused, and a bad key named.
    expect((await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body: { min_confidence: 0.84, reason: 'other' }, headers: key })).status).toBe(422);
    expect((await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body, headers: { 'Idempotency-Key': 'x'.repeat(300) } })).status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await history()).toBe(before + 1);
  });

  it('gives a retry of a refused update the whole first answer, field included, and carries out one of the same update sent at once', async () => {
    const history = async () => (await medic.call<Envelope<{ pagination: { total: number } }>>('GET', '/config/thresholds/history')).body.data.pagination.total;
    const refusedKey = { 'Idempotency-Key': `thresholds-refused-${Date.now()}` };
    const bad = { thresholds: { low: 0.01 }, reason: 'below minimal' };
    const refused = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body: bad, headers: refusedKey });
    expect([refused.status, refused.body.errors[0]?.code, refused.body.errors[0]?.field]).toEqual([400, 'validation_error', 'thresholds.low']);
    const refusedAgain = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body: bad, headers: refusedKey });
    expect([refusedAgain.status, refusedAgain.body.errors]).toEqual([400, refused.body.errors]);

    const before = await history();
    const key = { 'Idempotency-Key': `thresholds-at-once-${Date.now()}` };
    const body = { min_confidence: 0.86, reason: 'sent three times at once' };
    const answers = await Promise.all([0, 1, 2].map(() => medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body, headers: key })));
    const done = answers.filter((a) => a.status === 200);
    expect(done.length).toBeGreaterThanOrEqual(1);
    // The others saw it under way (or, later, its answer).
    for (const a of answers.filter((x) => x.status !== 200)) expect([a.status, a.body.errors[0]?.code]).toEqual([409, 'idempotency_key_in_use']);
    const retried = await medic.call<Envelope<Thresholds>>('PUT', '/config/thresholds', { body, headers: key });
    expect([retried.status, retried.body.data]).toEqual([200, done[0]!.body.data]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await history()).toBe(before + 1);
  });
});
