import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { decodeEvent } from '@medic/contracts';
import { ensureTargetImage, startContainerEngine, type ContainerEngineHandle } from '@medic/devstack';
import type { ControlEvent, KillEvent, LoggedKillCommand } from '@medic/domain';
import { EOS_PRODUCER, newEnvelope, toKafkaMessage } from '@medic/eventlog';
import { ceTypeOf, eventsOfType, eventually, firstOfType, killEventsOf, killReport, moduleContainer, readTopic, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';


/*
 * A module Smith keeps killing after Medic brings it back, on a real
 * container engine: each re-kill makes the next resurrection wait longer
 * (backoff 2 s, 4 s, capped at 8 s), the third quarantines the module (an
 * automatic approval it overtook is refused, the next kill waits for a human,
 * /modules and /status say so), an admin
 * releases it over REST (an operator may not), and the next kill comes back
 * on its own again. The monitor that records re-kills is not part of this
 * test: the test appends OutcomeRecorded re_killed for the earlier kill
 * itself when Smith kills the module again, as the monitor does.
 */
describe('re-killed modules: backoff, quarantine, release', () => {
  const MODULE = 'flappy-svc';
  const BACKOFF = { initial_seconds: 2, max_seconds: 8, reset_after_stable_seconds: 600 };
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  let producer: Producer;
  let containerId: string;
  const kills: string[] = [];
  const reKilledAt: number[] = [];
  const previousDockerHost = process.env.DOCKER_HOST;

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-quarantine-')) });
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    containerId = (await moduleContainer(docker, MODULE, { running: true })).id;
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await startMedic({
      services: ['listener', 'decision', 'executor', 'gateway'],
      apiKeys: [
        { name: 'ops', role: 'operator' },
        { name: 'watcher', role: 'viewer' },
      ],
      config: {
        mode: { current: 'semi_auto' },
        decision: { auto_approve: { enabled: true } },
        resurrection: { backoff: BACKOFF, quarantine_after_rekills: 3 },
      },
    });
    producer = medic.kafka.producer(EOS_PRODUCER);
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  type Envelope<T> = { success: boolean; data: T; errors: { code: string; message: string }[] };
  interface ModuleItem {
    module: string;
    kills: number;
    resurrections: number;
    re_kills_last_day: number;
    consecutive_re_kills: number;
    backoff_until: string | null;
    backoff_attempt: number | null;
    quarantined: boolean;
    quarantined_since: string | null;
    quarantine_reason: string | null;
    released_at: string | null;
    released_by: string | null;
    release_reason: string | null;
  }

  const eventsOf = (killId: string, until: (events: KillEvent[]) => boolean, what: string) => killEventsOf(medic, killId, until, what, 60_000);
  const only = eventsOfType;
  const first = firstOfType;
  const moduleView = async () => (await medic.get<Envelope<ModuleItem>>(`/modules/${MODULE}`)).body.data;
  const running = async () => (await docker.getContainer(containerId).inspect()).State.Running;

  /**
   * Smith kills the module: the container stops, and its kill report comes in.
   * With `reKilled`, the monitor has recorded that earlier resurrection as
   * re-killed first (here, before the report, so that the order is sure).
   */
  async function smithKills(reKilled?: string): Promise<string> {
    if (await running()) await docker.getContainer(containerId).stop({ t: 1 });
    if (reKilled !== undefined) await recordReKill(reKilled);
    const r = killReport({ target_module: MODULE, confidence_score: 0.1, severity: 'info' });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    kills.push(r.kill_id);
    return r.kill_id;
  }

  /** A resurrection's events once it succeeded, and an event about it appended as the monitor would. */
  async function asTheMonitor(killId: string, event: (events: KillEvent[], at: string) => KillEvent): Promise<string> {
    const events = await eventsOf(killId, (es) => es.some((e) => e.type === 'ResurrectionSucceeded'), `the resurrection of ${killId}`);
    const at = new Date().toISOString();
    await producer.send({ topic: medic.topics.kill, acks: -1, messages: [toKafkaMessage('kill', newEnvelope('kill', event(events, at), { source: 'medic/test-monitor', subject: killId, time: at }))] });
    return at;
  }

  /** The monitor's verdict on a resurrection, appended as the monitor would; when it was recorded. */
  function recordVerdict(killId: string, result: 're_killed' | 'success'): Promise<string> {
    return asTheMonitor(killId, (events, at) => ({
      type: 'OutcomeRecorded',
      killId,
      at,
      outcomeId: randomUUID(),
      requestId: first(events, 'ResurrectionStarted').requestId,
      decisionId: first(events, 'DecisionMade').decision.decisionId,
      result,
      timeToStableSeconds: null,
      metrics: {},
      smithFeedback: null,
      humanFeedback: null,
      lessonsLearned: [],
      shouldAdjustThreshold: false,
      targetModule: MODULE,
    }));
  }

  /** What the monitor records when Smith kills a module during (or soon after) its watch: the earlier resurrection was re-killed. */
  async function recordReKill(killId: string): Promise<void> {
    const at = await recordVerdict(killId, 're_killed');
    reKilledAt.push(Date.parse(at));
    await eventually(async () => ((await moduleView())?.re_kills_last_day === reKilledAt.length ? true : undefined), `re-kill ${reKilledAt.length} on /modules`);
  }

  /** The monitor's first check of a resurrection (it watches it from then on), once the executor has folded it. */
  async function watched(killId: string): Promise<void> {
    await asTheMonitor(killId, (events, at) => ({
      type: 'HealthChecked',
      killId,
      at,
      requestId: first(events, 'ResurrectionStarted').requestId,
      container: { running: true, status: 'running', exitCode: null, oomKilled: false, restartCount: 0, startedAt: at, health: 'none' },
      probes: [],
    }));
    const folded = `SELECT kill_id FROM executor.cascade_kills WHERE kill_id = '${killId}' AND watched_at IS NOT NULL`;
    await eventually(async () => ((await snapshotTables(medic.databaseUrl, { folded }))['folded']!.length === 1 ? true : undefined), `the check of ${killId} folded by the executor`);
  }

  async function send(command: LoggedKillCommand): Promise<void> {
    await producer.send({ topic: medic.topics.commands, acks: -1, messages: [toKafkaMessage('command', newEnvelope('command', command, { source: 'medic/test', subject: command.killId, time: command.at }))] });
  }

  const resurrected = (killId: string) => eventsOf(killId, (es) => es.some((e) => e.type === 'ResurrectionSucceeded' || e.type === 'ResurrectionFailed'), `the resurrection of ${killId}`);

  it('brings the module back at once the first time', async () => {
    const k1 = await smithKills();
    const events = await resurrected(k1);
    expect(events.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    expect(await running()).toBe(true);
  });

  it('holds the resurrection after a re-kill back for the initial backoff, and starts it once even when resumed twice', async () => {
    const k2 = await smithKills(kills[0]);
    const events = await resurrected(k2);
    expect(events.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'ResurrectionDeferred', 'ResurrectionResumed', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    const deferred = first(events, 'ResurrectionDeferred');
    expect(deferred.attempt).toBe(1);
    expect(Date.parse(deferred.notBefore)).toBe(reKilledAt[0]! + 2_000);
    expect(deferred.reason).toMatch(new RegExp(`module ${MODULE} was killed again 1 time in a row.*backoff 2 s`));
    const gap = Date.parse(first(events, 'ResurrectionStarted').at) - reKilledAt[0]!;
    expect(gap).toBeGreaterThanOrEqual(2_000);
    expect(first(events, 'ResurrectionResumed')).toMatchObject({ approvedBy: 'policy:auto-approve', notBefore: deferred.notBefore });
    expect(await running()).toBe(true);

    // The backoff timer firing again is refused by the kill workflow: still one start.
    const again: LoggedKillCommand = { type: 'ResumeResurrection', commandId: randomUUID(), killId: k2, at: new Date().toISOString(), actor: 'timer:backoff' };
    await send(again);
    const after = await eventsOf(k2, (es) => es.some((e) => e.type === 'CommandRejected' && e.commandId === again.commandId), 'the second resume refused');
    expect(only(after, 'ResurrectionResumed')).toHaveLength(1);
    expect(only(after, 'ResurrectionStarted')).toHaveLength(1);
  });

  it('doubles the backoff after the second re-kill, and keeps it through a restart of the kill workflow', async () => {
    const k3 = await smithKills(kills[1]);
    const deferredEvents = await eventsOf(k3, (es) => es.some((e) => e.type === 'ResurrectionDeferred'), `${k3} held back`);
    const deferred = first(deferredEvents, 'ResurrectionDeferred');
    expect(deferred.attempt).toBe(2);
    expect(Date.parse(deferred.notBefore)).toBe(reKilledAt[1]! + 4_000);
    expect(await moduleView()).toMatchObject({ consecutive_re_kills: 2, backoff_attempt: 2, backoff_until: deferred.notBefore, quarantined: false });

    // The timer is durable: the decision service is down when it comes due, and fires it once back.
    medic.service('decision').kill('SIGKILL');
    await medic.service('decision').exited;
    await eventually(() => Promise.resolve(Date.now() > Date.parse(deferred.notBefore) + 500 ? true : undefined), 'the backoff to pass');
    expect(await running()).toBe(false);
    await medic.start('decision');
    const events = await resurrected(k3);
    expect(only(events, 'ResurrectionStarted')).toHaveLength(1);
    const gap = Date.parse(first(events, 'ResurrectionStarted').at) - reKilledAt[1]!;
    expect(gap).toBeGreaterThanOrEqual(4_000);
    expect(await running()).toBe(true);
  });

  it('does not start an automatic approval that the quarantining re-kill overtook: held back for the verdict, then sent to a human, whose approval brings it back', async () => {
    // The monitor watches the third resurrection, and Smith kills the module again before its re-kill is recorded:
    // the decision knows of two re-kills only and approves on its own.
    await watched(kills[2]!);
    const k4 = await smithKills();
    const held = await eventsOf(k4, (es) => es.some((e) => e.type === 'ResurrectionDeferred'), `${k4} held back`);
    expect(first(held, 'DecisionMade').decision.outcome).toBe('approve_auto');
    expect(first(held, 'ResurrectionDeferred')).toMatchObject({ attempt: 0, waitsForKillIds: [kills[2]], reason: expect.stringContaining("waits for the monitor's verdict") });
    expect(await running()).toBe(false);

    // The verdict: re-killed, the third in a day; the module is quarantined, and the automatic approval goes to a human.
    await recordReKill(kills[2]!);
    const events = await eventsOf(k4, (es) => es.some((e) => e.type === 'ApprovalRequested'), `${k4} sent to a human`);
    const request = first(events, 'ApprovalRequested');
    expect(request.reason).toMatch(new RegExp(`^module ${MODULE} is quarantined since .*3 re-kills.*approved automatically before that was known, so a human approves it instead`));
    expect(only(events, 'ResurrectionStarted')).toHaveLength(0);
    expect(only(events, 'ResurrectionFailed')).toHaveLength(0);
    expect(await running()).toBe(false);

    // On the approval queue like a kill decided so; its decision now waits for that review.
    type QueueItem = { item_id: string; kill_id: string; status: string; approval: { review_reason: string; status: string } };
    const item = await eventually(async () => {
      const res = await medic.get<Envelope<{ items: QueueItem[] }>>(`/queue?module=${MODULE}&page_size=200`);
      return res.body.data?.items.find((i) => i.kill_id === k4);
    }, `${k4} on the approval queue`);
    expect(item).toMatchObject({ item_id: request.queueItemId, status: 'pending', approval: { review_reason: request.reason, status: 'pending' } });
    const decisionId = first(events, 'DecisionMade').decision.decisionId;
    expect((await medic.get<Envelope<{ outcome: string; status: string }>>(`/decisions/${decisionId}`)).body.data).toMatchObject({ outcome: 'pending_review', status: 'pending' });

    // An operator approves it: brought back (once the module's backoff has passed), approved by that operator.
    const approved = await medic.call<Envelope<{ status: string }>>('POST', `/queue/${item.item_id}/approve`, { as: 'ops', body: { notes: 'checked by hand' } });
    expect(approved.status).toBe(200);
    expect(approved.body.data.status).toBe('granted');
    const after = await resurrected(k4);
    expect(first(after, 'ApprovalGranted')).toMatchObject({ approver: 'ops' });
    expect(first(after, 'ResurrectionStarted')).toMatchObject({ approvedBy: 'ops', attempt: 1 });
    expect(only(after, 'ResurrectionStarted')).toHaveLength(1);
    expect(only(after, 'ResurrectionFailed')).toHaveLength(0);
    expect(await running()).toBe(true);
  });

  it('quarantines the module after the third re-kill: its next kill waits for a human', async () => {
    const k5 = await smithKills();
    const view = await moduleView();
    expect(view).toMatchObject({
      module: MODULE,
      re_kills_last_day: 3,
      consecutive_re_kills: 3,
      quarantined: true,
      quarantined_since: new Date(reKilledAt[2]!).toISOString(),
      released_by: null,
    });
    // Its backoff (the third, 8 s) has passed: the kill a human approved waited it out.
    expect(view.backoff_attempt).toBeNull();
    expect(view.quarantine_reason).toMatch(/3 re-kills/);

    const events = await eventsOf(k5, (es) => es.some((e) => e.type === 'ApprovalRequested' || e.type === 'ResurrectionStarted'), `the decision on ${k5}`);
    const decision = first(events, 'DecisionMade').decision;
    expect(decision.outcome).toBe('pending_review');
    expect(decision.reasoning.join('\n')).toMatch(new RegExp(`module ${MODULE} is quarantined since .*3 re-kills`));
    expect(first(events, 'ApprovalRequested').reason).toMatch(/quarantined.*3 re-kills.*until an admin releases it/);
    expect(only(events, 'ResurrectionStarted')).toHaveLength(0);
    expect(await running()).toBe(false);

    const quarantined = await medic.get<Envelope<{ items: ModuleItem[] }>>('/modules?quarantined=true');
    expect(quarantined.body.data.items.map((m) => m.module)).toEqual([MODULE]);
    expect((await medic.get<Envelope<{ items: ModuleItem[] }>>('/modules?quarantined=false')).body.data.items).toEqual([]);
    const status = await medic.get<Envelope<{ quarantined_modules: { module: string; since: string; re_kills: number }[] }>>('/status');
    expect(status.body.data.quarantined_modules).toEqual([expect.objectContaining({ module: MODULE, since: view.quarantined_since, re_kills: 3 })]);
  });

  it('is released by an admin only, recorded with the key name', async () => {
    const path = `/modules/${MODULE}/release`;
    const byOperator = await medic.call<Envelope<null>>('POST', path, { as: 'ops', body: { reason: 'looks fine' } });
    expect(byOperator.status).toBe(403);
    expect(byOperator.body).toMatchObject({ success: false, errors: [{ code: 'forbidden' }] });
    expect((await medic.call('POST', path, { as: 'watcher' })).status).toBe(403);
    expect((await medic.call('POST', '/modules/never-seen-svc/release', {})).status).toBe(404);
    expect((await medic.call('POST', '/modules/bad%2Fname/release', {})).status).toBe(400);
    const badBody = await medic.call<Envelope<null>>('POST', path, { body: { reason: 7 } });
    expect(badBody.status).toBe(400);
    expect(badBody.body.errors[0]).toMatchObject({ code: 'validation_error', field: 'reason' });
    expect((await moduleView()).quarantined).toBe(true);

    const released = await medic.call<Envelope<{ module: string; released_by: string; reason: string; quarantined_since: string; re_kills: number }>>('POST', path, { body: { reason: 'config fixed' } });
    expect(released.status).toBe(200);
    expect(released.body.data).toMatchObject({ module: MODULE, released_by: 'test', reason: 'config fixed', re_kills: 3 });
    expect(await moduleView()).toMatchObject({ quarantined: false, released_by: 'test', release_reason: 'config fixed', consecutive_re_kills: 0, backoff_until: null });
    expect((await medic.call<Envelope<null>>('POST', path, {})).status).toBe(409);

    const control = await readTopic(medic, medic.topics.control, (all) => all.some((m) => ceTypeOf(m) === 'medic.control.v1.ModuleReleased'), 'the release on the control log');
    const releases = control.filter((m) => ceTypeOf(m) === 'medic.control.v1.ModuleReleased');
    expect(releases).toHaveLength(1);
    expect(releases[0]!.key?.toString()).toBe(MODULE);
    expect(decodeEvent('control', ceTypeOf(releases[0]!), releases[0]!.value!) satisfies ControlEvent).toMatchObject({ module: MODULE, actor: 'test', reason: 'config fixed' });
  });

  it('brings the next kill back on its own again, without waiting', async () => {
    // The monitor's verdict on the resurrection an operator approved (it watched it since): a success.
    await recordVerdict(kills[3]!, 'success');
    const verdict = `SELECT kill_id FROM executor.cascade_kills WHERE kill_id = '${kills[3]!}' AND verdict_at IS NOT NULL`;
    await eventually(async () => ((await snapshotTables(medic.databaseUrl, { verdict }))['verdict']!.length === 1 ? true : undefined), `the verdict on ${kills[3]!} folded by the executor`);
    const k5 = await smithKills();
    const events = await resurrected(k5);
    expect(events.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    expect(first(events, 'DecisionMade').decision.outcome).toBe('approve_auto');
    expect(await running()).toBe(true);
  });

  it('rebuilds the standings of the decision, executor and gateway from the log to exactly the live ones', async () => {
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        killState: 'SELECT kill_id, partition, status, target_module, state, auto_approved_at FROM decision.kill_state ORDER BY kill_id',
        days: 'SELECT * FROM decision.module_daily ORDER BY target_module, day, source_partition',
        timers: 'SELECT timer_id, kill_id, due_at, command, traceparent FROM decision.kill_timers ORDER BY timer_id',
        reKills: 'SELECT * FROM decision.module_rekills ORDER BY kill_id',
        decisionReleases: 'SELECT * FROM decision.module_releases ORDER BY target_module',
        executorKills: 'SELECT * FROM executor.module_kills ORDER BY kill_id',
        executorKillModules: 'SELECT * FROM executor.kill_modules ORDER BY kill_id',
        executorReleases: 'SELECT * FROM executor.module_releases ORDER BY target_module',
        executorCascade: 'SELECT * FROM executor.cascade_kills ORDER BY kill_id',
        gatewayKills: 'SELECT * FROM gateway.module_kills ORDER BY kill_id',
        gatewayReleases: 'SELECT * FROM gateway.module_releases ORDER BY target_module',
      });
    const live = await eventually(async () => {
      const s = await snapshot();
      // Six kills; five started (all but the one that waited for a human after the quarantine).
      return s['gatewayKills']!.length === 6 && s['executorKills']!.length === 5 && s['executorReleases']!.length === 1 ? s : undefined;
    }, 'every view to have caught up');
    expect(live['reKills']).toHaveLength(3);
    expect(live['decisionReleases']).toEqual([expect.objectContaining({ target_module: MODULE, actor: 'test', reason: 'config fixed' })]);
    const env = cliEnv(medic);
    const rebuilt = await medicCli(['replay', 'rebuild'], { env });
    for (const name of ['decision.workflow', 'executor.module_kills', 'executor.kill_modules', 'executor.cascade_kills', 'executor.module_releases', 'gateway.module_kills', 'gateway.module_releases']) {
      expect(rebuilt.stdout).toMatch(new RegExp(`rebuilt ${name.replace('.', '\\.')}: \\d+ events applied`));
    }
    expect(await snapshot()).toEqual(live);
  });
});
