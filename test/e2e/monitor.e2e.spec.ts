import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ensureTargetImage, freePort, startContainerEngine, TARGET_HEALTH_PATH, TARGET_IMAGE, TARGET_PORT, type ContainerEngineHandle } from '@medic/devstack';
import type { KillEvent, KillEventOf, KillEventType } from '@medic/domain';
import { decodeRecords, derivedUuid, EOS_PRODUCER, newEnvelope, readLog, toKafkaMessage } from '@medic/eventlog';
import { eventually, killEventsOf, killReport, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';

/*
 * The resurrection loop after the start, on a real container engine: the
 * monitor watches each resurrected module for a short window (6 s, a check
 * every half second) and records its one outcome: success once the re-kill
 * window (3 s) after StabilityConfirmed has passed, rollback when the
 * module exits or fails its HTTP probe (the executor stops it), rollback
 * when an operator asks over REST, re_killed when Smith kills it again.
 */
const WINDOW_MS = 6_000;
const REKILL_WINDOW_MS = 3_000;

interface Envelope<T> {
  success: boolean;
  data: T | null;
  errors: { code: string; message: string }[];
}

describe('watching resurrected modules, rolling back, re-kills', () => {
  const run = randomBytes(3).toString('hex');
  const module = (name: string) => `mon-${name}-${run}`;
  const ports = new Map<string, number>();
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  const previousDockerHost = process.env.DOCKER_HOST;

  /** A module's container, run once and stopped (as Smith leaves it), with its HTTP port published on the host. */
  async function killedContainer(name: string): Promise<Docker.Container> {
    const container = await docker.createContainer({
      Image: TARGET_IMAGE,
      name,
      Labels: { 'medic.module': name },
      ExposedPorts: { [`${TARGET_PORT}/tcp`]: {} },
      HostConfig: { PortBindings: { [`${TARGET_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(ports.get(name)) }] } },
    });
    await container.start();
    await container.stop({ t: 1 });
    return container;
  }

  const healthUrl = (name: string) => `http://127.0.0.1:${ports.get(name)}${TARGET_HEALTH_PATH}`;

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-mon-')) });
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    for (const name of ['ok', 'exits', 'probe', 'operator', 'rekill', 'stopped-first', 'late', 'outage', 'unchecked'].map(module)) ports.set(name, await freePort());
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await startMedic({
      services: ['listener', 'decision', 'executor', 'monitor', 'gateway'],
      apiKeys: [
        { name: 'ops', role: 'operator' },
        { name: 'vera', role: 'viewer' },
      ],
      config: {
        mode: { current: 'semi_auto' },
        decision: { auto_approve: { enabled: true } },
        constraints: { max_auto_resurrections_per_hour: 100 },
        resurrection: {
          monitoring_duration_minutes: WINDOW_MS / 60_000,
          health_check_interval_seconds: 0.5,
          rekill_window_minutes: REKILL_WINDOW_MS / 60_000,
          probes: {
            [module('ok')]: [
              { type: 'http', url: healthUrl(module('ok')), timeout_seconds: 1 },
              { type: 'exec', command: ['wget', '-q', '-O', '-', `http://127.0.0.1:${TARGET_PORT}${TARGET_HEALTH_PATH}`], timeout_seconds: 2 },
            ],
            [module('probe')]: [{ type: 'http', url: healthUrl(module('probe')), timeout_seconds: 1, failure_threshold: 2 }],
          },
        },
      },
    });
  });
  afterAll(async () => {
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  /** Smith's kill report of the module, and the kill's events once `until` holds for them. */
  async function kill(name: string): Promise<string> {
    const report = killReport({ target_module: name, target_instance_id: name });
    await medic.publishRaw(smithMessage(report), report.kill_id);
    return report.kill_id;
  }
  /** The kill's events once `until` holds for them, and the health checks of its watch. */
  async function logOf(killId: string, until: (events: KillEvent[]) => boolean, what: string): Promise<{ events: KillEvent[]; checks: KillEventOf<'HealthChecked'>[] }> {
    const all = await killEventsOf(medic, killId, until, `${what} for ${killId}`, 60_000);
    return { events: all.filter((e) => e.type !== 'HealthChecked'), checks: all.filter((e): e is KillEventOf<'HealthChecked'> => e.type === 'HealthChecked') };
  }
  /** The kill's events but its health checks, once `until` holds for them. */
  const eventsOf = async (killId: string, until: (events: KillEvent[]) => boolean, what: string) => (await logOf(killId, until, what)).events;
  /** Everything on the kill log about a kill, up to the log's end now. */
  async function wholeLogOf(killId: string): Promise<KillEvent[]> {
    const events: KillEvent[] = [];
    await readLog(medic.kafka, medic.topics.kill, (records) => {
      const about = records.messages.filter((m) => m.headers?.ce_subject?.toString() === killId);
      events.push(...decodeRecords('kill', { ...records, messages: about }).events.map((e) => e.data));
      return Promise.resolve();
    });
    return events;
  }
  const has = (type: KillEventType) => (events: KillEvent[]) => events.some((e) => e.type === type);
  const one = <T extends KillEventType>(events: KillEvent[], type: T): KillEventOf<T> => {
    const found = events.filter((e): e is KillEventOf<T> => e.type === type);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('confirms a clean module stable, then records success with the real time it took, once the re-kill window has passed', async () => {
    const name = module('ok');
    const container = await killedContainer(name);
    const before = await container.inspect();
    const killId = await kill(name);
    const { events: log, checks } = await logOf(killId, has('OutcomeRecorded'), 'the outcome');
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'ResurrectionStarted', 'ResurrectionSucceeded', 'StabilityConfirmed', 'OutcomeRecorded']);
    const after = await container.inspect();
    expect(after.State.Running).toBe(true);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));

    const started = one(log, 'ResurrectionStarted');
    const succeeded = one(log, 'ResurrectionSucceeded');
    const stable = one(log, 'StabilityConfirmed');
    const outcome = one(log, 'OutcomeRecorded');
    // Measured from the start of the resurrection to the first healthy check, which came within the window.
    expect(stable.timeToStableSeconds).toBeGreaterThan(0);
    expect(stable.timeToStableSeconds).toBeLessThan(WINDOW_MS / 1000);
    expect(Date.parse(stable.at) - Date.parse(succeeded.at)).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(stable.metrics).toMatchObject({ restarts: 0, time_to_stable_seconds: stable.timeToStableSeconds, max_anomaly_score: expect.any(Number) as unknown });
    expect(stable.metrics['checks_run']).toBeGreaterThanOrEqual(5);
    // Every check is on the log with what it saw: the verdict can be audited and the watch folded again.
    expect(checks).toHaveLength(stable.metrics['checks_run'] as number);
    expect(checks.at(-1)).toMatchObject({ at: stable.at, requestId: stable.requestId, container: { running: true, status: 'running' } });
    expect(checks.at(-1)!.probes.map((p) => p.ok)).toEqual([true, true]);
    const probes = stable.metrics['probes'] as Record<string, { checks: number; failures: number; mean_latency_ms: number }>;
    expect(Object.keys(probes).sort()).toEqual([`exec wget -q -O - http://127.0.0.1:${TARGET_PORT}${TARGET_HEALTH_PATH}`, `http ${healthUrl(name)}`]);
    for (const p of Object.values(probes)) expect(p.mean_latency_ms).toBeGreaterThan(0);

    expect(outcome).toMatchObject({
      requestId: started.requestId,
      decisionId: one(log, 'DecisionMade').decision.decisionId,
      result: 'success',
      timeToStableSeconds: stable.timeToStableSeconds,
      shouldAdjustThreshold: false,
      // Derived from the kill, shaped as a name-based UUID.
      outcomeId: derivedUuid(`outcome/${outcome.killId}`),
    });
    // The success waited for the re-kill window after StabilityConfirmed.
    expect(Date.parse(outcome.at) - Date.parse(stable.at)).toBeGreaterThanOrEqual(REKILL_WINDOW_MS);
  });

  it('rolls back a module that exits during monitoring: the executor stops it and the outcome is rollback', async () => {
    const name = module('exits');
    const container = await killedContainer(name);
    const killId = await kill(name);
    await eventsOf(killId, has('ResurrectionSucceeded'), 'the start');
    await container.kill({ signal: 'SIGKILL' });
    const log = await eventsOf(killId, has('OutcomeRecorded'), 'the outcome');
    expect(log.map((e) => e.type).slice(5)).toEqual(['AnomalyDetected', 'RollbackStarted', 'RollbackCompleted', 'OutcomeRecorded']);
    // Docker says exited, podman stopped.
    expect(one(log, 'AnomalyDetected')).toMatchObject({ anomalyScore: 1, findings: [expect.stringMatching(/^not running \((exited|stopped), exit code 137\)$/)] });
    expect(one(log, 'RollbackStarted')).toMatchObject({ actor: 'policy:auto-rollback', reason: expect.stringMatching(/^anomaly score 1: not running/) as unknown, containerId: container.id });
    expect(one(log, 'OutcomeRecorded')).toMatchObject({ result: 'rollback', timeToStableSeconds: null, shouldAdjustThreshold: true, humanFeedback: null });
    expect((await container.inspect()).State.Running).toBe(false);
  });

  it('rolls back a module whose HTTP probe fails during monitoring', async () => {
    const name = module('probe');
    const container = await killedContainer(name);
    const killId = await kill(name);
    await eventsOf(killId, has('ResurrectionSucceeded'), 'the start');
    await eventually(async () => ((await fetch(healthUrl(name)).catch(() => null))?.status === 200 ? true : undefined), 'the health page served');
    // The module breaks: its health page is gone, httpd answers 404.
    const exec = await container.exec({ Cmd: ['busybox', 'rm', `/www${TARGET_HEALTH_PATH}`] });
    await exec.start({ Detach: true });
    const log = await eventsOf(killId, has('OutcomeRecorded'), 'the outcome');
    const anomaly = one(log, 'AnomalyDetected');
    expect(anomaly.anomalyScore).toBe(0.8);
    expect(anomaly.findings).toEqual([`probe http ${healthUrl(name)} failed 2 times in a row: answered 404, expected 200`]);
    expect(log.map((e) => e.type).slice(-3)).toEqual(['RollbackStarted', 'RollbackCompleted', 'OutcomeRecorded']);
    expect(one(log, 'OutcomeRecorded').result).toBe('rollback');
    expect((await container.inspect()).State.Running).toBe(false);
  });

  it("rolls back on an operator's request over REST, recorded with the operator, once", async () => {
    const name = module('operator');
    const container = await killedContainer(name);
    const killId = await kill(name);
    const started = one(await eventsOf(killId, has('ResurrectionSucceeded'), 'the start'), 'ResurrectionStarted');
    const path = `/resurrections/${started.requestId}/rollback`;
    await eventually(async () => ((await medic.get(`/resurrections/${started.requestId}`)).status === 200 ? true : undefined), 'the resurrection over REST');

    expect((await medic.call(`POST`, path, { as: 'vera', body: { reason: 'no' } })).status).toBe(403);
    expect((await medic.call(`POST`, path, { as: 'ops', body: { reason: 7 } })).status).toBe(400);
    expect((await medic.call(`POST`, '/resurrections/00000000-0000-4000-8000-000000000000/rollback', { as: 'ops' })).status).toBe(404);
    expect((await medic.call(`POST`, '/resurrections/no-such-request/rollback', { as: 'ops' })).status).toBe(400);

    const headers = { 'Idempotency-Key': `rollback-${run}` };
    const first = await medic.call<Envelope<Record<string, unknown>>>('POST', path, { as: 'ops', body: { reason: 'errors in its logs' }, headers });
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ request_id: started.requestId, kill_id: killId, rollback_status: 'requested', requested_by: 'ops', reason: 'errors in its logs' });
    const again = await medic.call<Envelope<Record<string, unknown>>>('POST', path, { as: 'ops', body: { reason: 'errors in its logs' }, headers });
    expect(again.status).toBe(200);
    expect(again.body.data).toEqual(first.body.data);
    // The id in capitals names the same request: the same answer, not a key reused for another request.
    const shouted = await medic.call<Envelope<Record<string, unknown>>>('POST', path.replace(started.requestId, started.requestId.toUpperCase()), { as: 'ops', body: { reason: 'errors in its logs' }, headers });
    expect([shouted.status, shouted.body.data]).toEqual([200, first.body.data]);

    const log = await eventsOf(killId, has('OutcomeRecorded'), 'the outcome');
    expect(one(log, 'RollbackRequested')).toMatchObject({ actor: 'ops', reason: 'errors in its logs', requestId: started.requestId, commandId: first.body.data!['command_id'] });
    expect(one(log, 'RollbackStarted')).toMatchObject({ actor: 'ops', reason: 'errors in its logs', containerId: container.id });
    one(log, 'RollbackCompleted');
    expect(one(log, 'OutcomeRecorded')).toMatchObject({ result: 'rollback', humanFeedback: 'ops: errors in its logs', lessonsLearned: ['rolled back by ops: errors in its logs'] });
    expect((await container.inspect()).State.Running).toBe(false);

    // Refused now, whichever part of the rollback the workflow has folded when the command comes.
    const later = await medic.call<Envelope<unknown>>('POST', path, { as: 'ops', body: { reason: 'once more' } });
    expect(later.status).toBe(409);
    expect(['illegal_transition', 'rollback_already_requested']).toContain(later.body.errors[0]?.code);
    const view = await eventually(async () => {
      const res = await medic.get<Envelope<Record<string, unknown>>>(`/resurrections/${started.requestId}`);
      return res.body.data?.['rollback_status'] === 'rolled_back' ? res.body.data : undefined;
    }, 'the rollback over REST');
    expect(view).toMatchObject({ status: 'rolled_back', rollback_actor: 'ops', rollback_reason: 'errors in its logs' });
  });

  it('records re_killed for the earlier kill when Smith kills the module again while it is watched, and nothing else for it', async () => {
    const name = module('rekill');
    await killedContainer(name);
    const first = await kill(name);
    await eventsOf(first, has('ResurrectionSucceeded'), 'the start');
    const second = await kill(name);
    const earlier = await eventsOf(first, has('OutcomeRecorded'), 'the re-kill');
    expect(one(earlier, 'OutcomeRecorded')).toMatchObject({
      result: 're_killed',
      shouldAdjustThreshold: true,
      lessonsLearned: [expect.stringMatching(new RegExp(`^killed again by smith \\(kill ${second}\\) [0-9.]+s after the module was back$`))],
    });
    // The earlier watch is over: once its window would have ended, still one outcome, no stability.
    await eventsOf(second, has('StabilityConfirmed'), 'the second kill watched to its end');
    const final = await wholeLogOf(first);
    expect(final.filter((e) => e.type === 'OutcomeRecorded')).toHaveLength(1);
    expect(final.map((e) => e.type)).not.toContain('StabilityConfirmed');
  });

  it('records re_killed when Smith stops the watched module before it reports the kill, with no anomaly or rollback', async () => {
    const name = module('stopped-first');
    const container = await killedContainer(name);
    const first = await kill(name);
    await eventsOf(first, has('ResurrectionSucceeded'), 'the start');
    // Smith stops it, and its report comes a moment later: checks (every 0.5 s) find it stopped first.
    await container.stop({ t: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const second = await kill(name);
    const earlier = await eventsOf(first, has('OutcomeRecorded'), 'the re-kill');
    expect(one(earlier, 'OutcomeRecorded')).toMatchObject({ result: 're_killed', lessonsLearned: [expect.stringContaining(`(kill ${second})`)] });
    const types = (await wholeLogOf(first)).map((e) => e.type);
    expect(types).not.toContain('AnomalyDetected');
    expect(types).not.toContain('RollbackStarted');
    // Counted against the module: a re-kill in a row.
    const standing = await eventually(async () => {
      const res = await medic.get<Envelope<{ consecutive_re_kills: number }>>(`/modules/${name}`);
      return (res.body.data?.consecutive_re_kills ?? 0) >= 1 ? res.body.data : undefined;
    }, 'the re-kill on the module');
    expect(standing?.consecutive_re_kills).toBe(1);
  });

  it('records re_killed instead of success for a kill within the re-kill window after StabilityConfirmed', async () => {
    const name = module('late');
    await killedContainer(name);
    const first = await kill(name);
    await eventsOf(first, has('StabilityConfirmed'), 'stability');
    const second = await kill(name);
    const log = await eventsOf(first, has('OutcomeRecorded'), 'the outcome');
    expect(log.map((e) => e.type).slice(-2)).toEqual(['StabilityConfirmed', 'OutcomeRecorded']);
    // The kill's one outcome, by an id derived from the kill: recorded again, it is the same outcome to every reader.
    expect(one(log, 'OutcomeRecorded')).toMatchObject({ result: 're_killed', outcomeId: derivedUuid(`outcome/${first}`), lessonsLearned: [expect.stringContaining(`(kill ${second})`)] });

    // Nothing the steps could not handle on the way: no dead letters from any of them.
    const health = await eventually(async () => {
      const res = await medic.get<Envelope<{ steps: Record<string, { dead_letters_last_hour: number }> }>>('/health');
      return res.body.data ?? undefined;
    }, 'health');
    for (const step of ['decision', 'executor', 'monitor', 'gateway']) expect(health.steps[step]?.dead_letters_last_hour).toBe(0);
  });

  it('records re_killed for a re-kill that came in while the monitor was down, though the re-kill window had closed when it came back', async () => {
    const name = module('outage');
    await killedContainer(name);
    const first = await kill(name);
    await eventsOf(first, has('StabilityConfirmed'), 'stability');
    const monitor = medic.service('monitor');
    monitor.kill('SIGKILL');
    await monitor.exited;
    const second = await kill(name);
    // Auto-approved, since the decision cannot know of the re-kill yet; the executor holds it back for the monitor's verdict.
    const held = await eventsOf(second, has('ResurrectionDeferred'), 'the re-kill held back');
    expect(one(held, 'DecisionMade').decision.outcome).toBe('approve_auto');
    expect(one(held, 'ResurrectionDeferred')).toMatchObject({ attempt: 0, waitsForKillIds: [first], reason: expect.stringContaining("waits for the monitor's verdict") });
    // The window closes while the monitor is down: its timer is due as soon as it is back.
    await new Promise((r) => setTimeout(r, REKILL_WINDOW_MS + 1_000));
    expect((await wholeLogOf(second)).map((e) => e.type)).not.toContain('ResurrectionStarted');
    await medic.start('monitor');
    const log = await eventsOf(first, has('OutcomeRecorded'), 'the outcome');
    const outcome = one(log, 'OutcomeRecorded');
    expect(outcome).toMatchObject({ result: 're_killed', lessonsLearned: [expect.stringContaining(`(kill ${second})`)] });
    // With the re-kill known, the resurrection waits its backoff (10 s after the re-kill), then starts, once.
    const events = await killEventsOf(medic, second, has('ResurrectionSucceeded'), `the resurrection of ${second}`, 60_000);
    const backoff = events.find((e): e is KillEventOf<'ResurrectionDeferred'> => e.type === 'ResurrectionDeferred' && e.attempt === 1);
    expect(backoff).toMatchObject({ notBefore: new Date(Date.parse(outcome.at) + 10_000).toISOString(), reason: expect.stringMatching(/killed again 1 time in a row.*backoff 10 s/) });
    const started = events.filter((e) => e.type === 'ResurrectionStarted');
    expect(started).toHaveLength(1);
    expect(Date.parse(started[0]!.at)).toBeGreaterThanOrEqual(Date.parse(backoff!.notBefore));
  });

  it('holds a re-kill of a module brought back while the monitor was down (never checked) for its verdict, once the monitor has been seen at work', async () => {
    const name = module('unchecked');
    await killedContainer(name);
    // The monitor has been seen at work in this stack (the tests above): an executor that never saw it would not wait.
    const seen = await snapshotTables(medic.databaseUrl, { seen: 'SELECT kill_id FROM executor.cascade_kills WHERE watched_at IS NOT NULL LIMIT 1' });
    expect(seen['seen']).toHaveLength(1);
    const monitor = medic.service('monitor');
    monitor.kill('SIGKILL');
    await monitor.exited;
    // Brought back with no monitor to check it; Smith kills it again before any check.
    const first = await kill(name);
    await eventsOf(first, has('ResurrectionSucceeded'), 'the resurrection');
    const second = await kill(name);
    const held = await eventsOf(second, has('ResurrectionDeferred'), 'the re-kill held back');
    expect(one(held, 'DecisionMade').decision.outcome).toBe('approve_auto');
    expect(one(held, 'ResurrectionDeferred')).toMatchObject({ attempt: 0, waitsForKillIds: [first], reason: expect.stringContaining("waits for the monitor's verdict") });
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await wholeLogOf(second)).map((e) => e.type)).not.toContain('ResurrectionStarted');
    // Back, the monitor watches the first resurrection, finds the re-kill, and the backoff counts it.
    await medic.start('monitor');
    const outcome = one(await eventsOf(first, has('OutcomeRecorded'), 'the outcome'), 'OutcomeRecorded');
    expect(outcome).toMatchObject({ result: 're_killed', lessonsLearned: [expect.stringContaining(`(kill ${second})`)] });
    const events = await killEventsOf(medic, second, has('ResurrectionSucceeded'), `the resurrection of ${second}`, 60_000);
    const backoff = events.find((e): e is KillEventOf<'ResurrectionDeferred'> => e.type === 'ResurrectionDeferred' && e.attempt === 1);
    expect(backoff).toMatchObject({ notBefore: new Date(Date.parse(outcome.at) + 10_000).toISOString() });
    const started = events.filter((e) => e.type === 'ResurrectionStarted');
    expect(started).toHaveLength(1);
    expect(Date.parse(started[0]!.at)).toBeGreaterThanOrEqual(Date.parse(backoff!.notBefore));
  });

  it('records failure, once, for a resurrection that failed for good (no container for the module), readable over REST', async () => {
    const killId = await kill(module('ghost'));
    const log = await eventsOf(killId, has('OutcomeRecorded'), 'the failure outcome');
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'ResurrectionStarted', 'ResurrectionFailed', 'OutcomeRecorded']);
    const failed = one(log, 'ResurrectionFailed');
    expect(failed.retriable).toBe(false);
    expect(one(log, 'OutcomeRecorded')).toMatchObject({
      result: 'failure',
      requestId: failed.requestId,
      decisionId: one(log, 'DecisionMade').decision.decisionId,
      timeToStableSeconds: null,
      shouldAdjustThreshold: false,
      targetModule: module('ghost'),
      lessonsLearned: [expect.stringMatching(/^the resurrection failed .* and will not be tried again: no container for module/) as unknown],
    });
    const listed = await eventually(async () => {
      const res = await medic.get<Envelope<{ items: { kill_id: string; result: string }[] }>>(`/outcomes?module=${module('ghost')}&result=failure`);
      return res.body.data?.items.length ? res.body.data.items : undefined;
    }, 'the failure on /outcomes');
    expect(listed).toEqual([expect.objectContaining({ kill_id: killId, result: 'failure' })]);
    // Nothing more comes of it: no second outcome, no watch.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await wholeLogOf(killId)).filter((e) => e.type === 'OutcomeRecorded')).toHaveLength(1);
  });

  it('dead-letters a rollback of a kill it never saw decided, keeping no claim that would pass over a later one', async () => {
    const killId = `never-decided-${run}`;
    const requested: KillEventOf<'RollbackRequested'> = { type: 'RollbackRequested', killId, at: new Date().toISOString(), requestId: randomUUID(), actor: 'ops', reason: 'from nowhere', commandId: randomUUID() };
    const producer = medic.kafka.producer(EOS_PRODUCER);
    await producer.connect();
    try {
      await producer.send({ topic: medic.topics.kill, acks: -1, messages: [toKafkaMessage('kill', newEnvelope('kill', requested, { source: 'medic/test-monitor', subject: killId, time: requested.at }))] });
    } finally {
      await producer.disconnect();
    }
    type Letter = { step: string; code: string; reason: string };
    const letter = await eventually(async () => {
      const res = await medic.get<Envelope<{ items: Letter[] }>>('/dead-letters?code=unknown_kill&page_size=200');
      return res.body.data?.items.find((l) => l.step === 'executor' && l.reason.includes(killId));
    }, "the executor's dead letter");
    expect(letter.reason).toBe(`rollback of kill ${killId}, whose decision the executor never saw`);
    const claims = await snapshotTables(medic.databaseUrl, { claims: `SELECT kill_id FROM executor.kill_rollbacks WHERE kill_id = '${killId}'` });
    expect(claims['claims']).toEqual([]);
  });

  it('medic replay rebuild folds the watches and the rollback claims again from the log, equal to the live ones', async () => {
    // Not the timers' leases and firing counts: the live service's bookkeeping, not the watches.
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        watches: 'SELECT kill_id, target_module, decision_id, request_id, container_id, resurrection_started_at, phase, watch, cause, due_at FROM monitor.watches ORDER BY kill_id',
        rollbacks: 'SELECT * FROM executor.kill_rollbacks ORDER BY kill_id',
      });
    const live = await eventually(
      async () => {
        const s = await snapshot();
        const rows = s['watches'] as { phase: string }[];
        return rows.length >= 7 && rows.every((r) => r.phase === 'closed') ? s : undefined;
      },
      'every watch to be closed',
      90_000,
    );
    // Each watch continues the trace of the ResurrectionSucceeded that began it.
    for (const row of live['watches'] as { watch: unknown; cause: { id: string } | null }[]) if (row.watch !== null) expect(row.cause?.id).toMatch(/^[0-9a-f-]{36}$/);
    const env = cliEnv(medic);
    const rebuilt = await medicCli(['replay', 'rebuild', '--projection', 'monitor.watches'], { env });
    expect(rebuilt.stdout).toMatch(/^rebuilt monitor\.watches: \d+ events applied/);
    // The policy's rollback and the operator's, each claimed once.
    expect((live['rollbacks'] as { actor: string }[]).map((r) => r.actor).sort()).toEqual(['ops', 'policy:auto-rollback', 'policy:auto-rollback']);
    const claims = await medicCli(['replay', 'rebuild', '--projection', 'executor.kill_rollbacks'], { env });
    expect(claims.stdout).toMatch(/^rebuilt executor\.kill_rollbacks: 3 events applied/);
    expect(await snapshot()).toEqual(live);
  });
});
