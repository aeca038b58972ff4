import Docker from 'dockerode';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTargetImage, startContainerEngine, type ContainerEngineHandle } from '@medic/devstack';
import type { KillEvent } from '@medic/domain';
import { eventsOfType, eventually, firstOfType, killEventsOf, killReport, moduleContainer, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';

/*
 * Correlated kills on a real container engine. Smith kills a module together
 * with a module that depends on it: the dependent's resurrection waits until
 * what it depends on is back (after a human approved it), or its kill is
 * settled without it (a human denied it), and goes ahead right then: its own
 * next look is set far off (recheck_seconds), so only the executor's wake-up
 * can have started it. And a burst of kills above
 * constraints.kill_burst trips a breaker: the kills past the limit go to a
 * human, until the rate falls again.
 */
describe('correlated kills: dependencies before dependents, and the kill-burst breaker', () => {
  const BURST = { max_kills: 4, window_seconds: 8 };
  // A held-back dependent's own next look: past the end of every test here.
  const RECHECK_SECONDS = 600;
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  const previousDockerHost = process.env.DOCKER_HOST;

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-cascade-')) });
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    for (const name of ['db-svc', 'api-svc', 'cache-svc', 'worker-svc']) await moduleContainer(docker, name);
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await startMedic({
      services: ['listener', 'decision', 'executor', 'gateway'],
      apiKeys: [{ name: 'ops', role: 'operator' }],
      config: {
        mode: { current: 'semi_auto' },
        decision: { auto_approve: { enabled: true } },
        // What the others depend on is looked at by a human first.
        constraints: { max_auto_resurrections_per_hour: 100, always_require_approval: ['db-svc', 'cache-svc'], kill_burst: BURST },
        resurrection: { cascade: { recheck_seconds: RECHECK_SECONDS } },
      },
    });
  });
  afterAll(async () => {
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  type Envelope<T> = { success: boolean; data: T; errors: { code: string; message: string }[] };
  const eventsOf = (killId: string, until: (events: KillEvent[]) => boolean, what: string) => killEventsOf(medic, killId, until, what, 60_000);
  const only = eventsOfType;
  const first = firstOfType;
  const running = async (name: string) => (await docker.getContainer(name).inspect()).State.Running;
  const resurrected = (killId: string) => eventsOf(killId, (es) => es.some((e) => e.type === 'ResurrectionSucceeded' || e.type === 'ResurrectionFailed'), `the resurrection of ${killId}`);

  async function smithKills(module: string, fields: Parameters<typeof killReport>[0] = {}): Promise<string> {
    const r = killReport({ target_module: module, confidence_score: 0.1, severity: 'info', ...fields });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    return r.kill_id;
  }

  /** A kill of a module others depend on, and one of its dependent: the first waits for a human, the second is auto-approved. */
  async function cascade(upstream: string, dependent: string): Promise<{ up: string; down: string; itemId: string }> {
    const up = await smithKills(upstream, { dependencies: [dependent, 'not-killed-svc'] });
    const down = await smithKills(dependent, { kill_reason: 'dependency_cascade' });
    const upEvents = await eventsOf(up, (es) => es.some((e) => e.type === 'ApprovalRequested'), `${upstream} queued for a human`);
    const downEvents = await eventsOf(down, (es) => es.some((e) => e.type === 'ResurrectionDeferred'), `${dependent} held back`);
    expect(first(downEvents, 'DecisionMade').decision.outcome).toBe('approve_auto');
    const deferred = first(downEvents, 'ResurrectionDeferred');
    expect(deferred).toMatchObject({ attempt: 0, waitsForKillIds: [up] });
    expect(deferred.reason).toContain(`module ${dependent} depends on ${upstream} (kill ${up}), killed in the same cascade and not back yet`);
    return { up, down, itemId: first(upEvents, 'ApprovalRequested').queueItemId };
  }

  /** The dependent's wait ended by the executor as soon as what it waited for settled, well before its own next look; then it started. */
  function wokenEarly(events: KillEvent[]): { resumed: Extract<KillEvent, { type: 'ResurrectionResumed' }>; started: Extract<KillEvent, { type: 'ResurrectionStarted' }> } {
    const resumed = first(events, 'ResurrectionResumed');
    expect(resumed.resumedBy).toBe('executor:dependencies');
    expect(Date.parse(resumed.at)).toBeLessThan(Date.parse(resumed.notBefore));
    const started = first(events, 'ResurrectionStarted');
    expect(Date.parse(started.at)).toBeGreaterThanOrEqual(Date.parse(resumed.at));
    return { resumed, started };
  }

  it('brings a dependent back only after what it depends on is back, as soon as it is', async () => {
    const { up, down, itemId } = await cascade('db-svc', 'api-svc');
    // It keeps waiting while the human has not answered.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const waiting = await eventsOf(down, (es) => es.some((e) => e.type === 'ResurrectionDeferred'), 'api-svc held back');
    expect(await running('api-svc')).toBe(false);
    expect(only(waiting, 'ResurrectionStarted')).toHaveLength(0);
    expect(only(waiting, 'ResurrectionResumed')).toHaveLength(0);
    // The operator sees why on the decision.
    type Hold = { since: string; until: string; reason: string; waits_for_kill_ids: string[] } | null;
    const holdOf = async () => (await medic.get<Envelope<{ status: string; resurrection_hold: Hold }>>(`/decisions/${first(waiting, 'DecisionMade').decision.decisionId}`)).body.data;
    const shown = await eventually(async () => ((await holdOf()).resurrection_hold !== null ? holdOf() : undefined), 'the hold on the decision');
    expect(shown.status).toBe('approved');
    expect(shown.resurrection_hold).toMatchObject({ since: first(waiting, 'ResurrectionDeferred').at, waits_for_kill_ids: [up] });
    expect(shown.resurrection_hold!.reason).toContain('depends on db-svc');

    expect((await medic.call('POST', `/queue/${itemId}/approve`, { as: 'ops', body: { notes: 'the database is fine' } })).status).toBe(200);
    const upEvents = await resurrected(up);
    const downEvents = await resurrected(down);
    const dbBack = first(upEvents, 'ResurrectionSucceeded');
    const { resumed, started: apiStarted } = wokenEarly(downEvents);
    expect(Date.parse(resumed.at)).toBeGreaterThanOrEqual(Date.parse(dbBack.at));
    expect(Date.parse(apiStarted.at)).toBeGreaterThanOrEqual(Date.parse(dbBack.at));
    expect(only(downEvents, 'ResurrectionStarted')).toHaveLength(1);
    expect(only(downEvents, 'ResurrectionResumed')).toHaveLength(1);
    expect(first(downEvents, 'ResurrectionSucceeded')).toBeDefined();
    expect(await running('db-svc')).toBe(true);
    expect(await running('api-svc')).toBe(true);
    await eventually(async () => ((await holdOf()).resurrection_hold === null ? true : undefined), 'the hold to end on the decision');
    // An auditor reads the wait in the kill's timeline.
    const audit = await medicCli(['replay', 'audit', down], { env: cliEnv(medic) });
    expect(audit.stdout).toContain(`ResurrectionDeferred   held back until ${first(downEvents, 'ResurrectionDeferred').notBefore} for what it depends on (kills ${up}): module api-svc depends on db-svc`);
    expect(audit.stdout).toMatch(/ResurrectionResumed +what it waited for is back or settled \(its next look was due [^)]+\); the resurrection approved by policy:auto-approve goes ahead unless it must wait again/);
  });

  it('lets a dependent go once what it depends on is denied, without waiting out the limit', async () => {
    const { up, down, itemId } = await cascade('cache-svc', 'worker-svc');
    const denied = await medic.call('POST', `/queue/${itemId}/deny`, { as: 'ops', body: { reason: 'the cache was compromised' } });
    expect(denied.status).toBe(200);
    const downEvents = await resurrected(down);
    const deniedAt = first(await eventsOf(up, (es) => es.some((e) => e.type === 'ApprovalDenied'), 'the denial'), 'ApprovalDenied').at;
    const { started } = wokenEarly(downEvents);
    expect(Date.parse(started.at)).toBeGreaterThanOrEqual(Date.parse(deniedAt));
    // Well inside resurrection.cascade.max_wait_seconds (300 s): the denial let it go.
    expect(Date.parse(started.at) - Date.parse(first(downEvents, 'KillReported').at)).toBeLessThan(60_000);
    expect(await running('worker-svc')).toBe(true);
    expect(await running('cache-svc')).toBe(false);
  });

  it('sends the kills of a burst past the limit to a human, and closes again once the rate falls', async () => {
    // The window after the kills above.
    await new Promise((r) => setTimeout(r, BURST.window_seconds * 1000 + 500));
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => smithKills(`burst-${i}-svc`)));
    const decisions = await Promise.all(burst.map(async (k) => first(await eventsOf(k, (es) => es.some((e) => e.type === 'DecisionMade'), `the decision on ${k}`), 'DecisionMade').decision));
    const tripped = decisions.filter((d) => (d.grounds?.autoApproveBarriers ?? []).includes('kill_burst'));
    expect(decisions.filter((d) => d.outcome === 'approve_auto')).toHaveLength(BURST.max_kills);
    expect(tripped).toHaveLength(6 - BURST.max_kills);
    for (const d of tripped) {
      expect(d.outcome).toBe('pending_review');
      expect(d.reasoning).toContain(
        'Not eligible for auto-approval: more than 4 kills were reported within 8 s (a burst: an attack, a cascade or Smith misfiring), so a human decides each resurrection until the rate falls.',
      );
    }
    const queued = await eventually(async () => {
      const queue = await medic.get<Envelope<{ items: { kill_id: string; approval: { review_reason: string } }[] }>>('/queue?page_size=100');
      const items = queue.body.data.items.filter((i) => burst.includes(i.kill_id));
      return items.length === tripped.length ? items : undefined;
    }, 'the tripped kills on the queue');
    for (const item of queued) expect(item.approval.review_reason).toMatch(/^more than 4 kills were reported within 8 s/);
    // And Grafana sees why: the decision service counts each ground.
    const counted = new RegExp(`^medic_decision_grounds_total\\{kind="barrier",ground="kill_burst"[^}]*\\} ${tripped.length}$`, 'm');
    await eventually(async () => (counted.test(await (await fetch(medic.metricsUrl('decision'))).text()) ? true : undefined), 'the tripped kills counted on /metrics');
    type Status = { kill_burst: { recent_kills: number; tripped: boolean; max_kills: number; window_seconds: number } };
    const burstState = async () => (await medic.get<Envelope<Status>>('/status')).body.data.kill_burst;
    const state = await burstState();
    // Read within the window of the burst (it was decided, queued and shown in less time than that).
    expect(state).toMatchObject({ tripped: true, max_kills: 4, window_seconds: 8 });
    expect(state.recent_kills).toBeGreaterThanOrEqual(6);

    await new Promise((r) => setTimeout(r, BURST.window_seconds * 1000 + 500));
    const after = await smithKills('calm-svc');
    const decided = first(await eventsOf(after, (es) => es.some((e) => e.type === 'DecisionMade'), 'the decision after the burst'), 'DecisionMade').decision;
    expect(decided.outcome).toBe('approve_auto');
    expect(await burstState()).toMatchObject({ tripped: false, recent_kills: 1 });
  });

  it('rebuilds the decision state and the executor cascades from the log to exactly the live ones', async () => {
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        killState: 'SELECT kill_id, partition, status, target_module, state, auto_approved_at, reported_at FROM decision.kill_state ORDER BY kill_id',
        timers: 'SELECT timer_id, kill_id, due_at, command, traceparent FROM decision.kill_timers ORDER BY timer_id',
        cascades: 'SELECT * FROM executor.cascade_kills ORDER BY kill_id',
      });
    const live = await eventually(async () => {
      const s = await snapshot();
      // Every kill settled but the two of the burst that wait for a human.
      const open = s['cascades']!.filter((k) => (k as { done_at: Date | null }).done_at === null);
      const moving = s['killState']!.filter((k) => ['APPROVED', 'EXECUTING'].includes((k as { status: string }).status));
      return s['cascades']!.length === 11 && s['killState']!.length === 11 && open.length === 2 && moving.length === 0 ? s : undefined;
    }, 'every view to have caught up');
    expect(live['cascades']!.find((k) => (k as { target_module: string }).target_module === 'db-svc')).toMatchObject({ dependents: ['api-svc', 'not-killed-svc'], done_at: expect.any(Date) });
    expect(live['killState']!.every((k) => (k as { reported_at: unknown }).reported_at instanceof Date)).toBe(true);
    const rebuilt = await medicCli(['replay', 'rebuild'], { env: cliEnv(medic) });
    for (const name of ['decision.workflow', 'executor.cascade_kills']) expect(rebuilt.stdout).toMatch(new RegExp(`rebuilt ${name.replace('.', '\\.')}: \\d+ events applied`));
    expect(await snapshot()).toEqual(live);
  });
});
