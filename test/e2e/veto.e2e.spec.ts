import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { ensureTargetImage, startContainerEngine, type ContainerEngineHandle } from '@medic/devstack';
import { parseSmithKillMessage, type KillEvent, type KillEventOf, type LoggedKillCommand } from '@medic/domain';
import { newEnvelope, readDeadLetter, toKafkaMessage } from '@medic/eventlog';
import { eventually, killEventsOf, killReport, moduleContainer, readTopic, smithMessage, snapshotTables, startMedic, type HarnessOptions, type MedicUnderTest, cliEnv, medicCli, MEDIC_CLI } from '@medic/testing';

/*
 * The veto exchange of spec 4.4 through the whole system, with Smith played
 * by `medic smith answer` (the built CLI, as a child process): Medic asks
 * before each auto-approved resurrection, and Smith's veto, approval,
 * silence or defer decides whether the container on the engine comes back.
 */


interface Simulator {
  /** Resolves once its consumer has joined: notices sent from now on are read. */
  readonly ready: Promise<void>;
  readonly done: Promise<{ code: number | null; output: string }>;
}


/** `medic smith answer …` as a child process; its output is kept for the test to read. */
function smithAnswers(medic: MedicUnderTest, args: string[]): Simulator & { interrupt(): void; output(): string } {
  const child = spawn(process.execPath, [MEDIC_CLI, 'smith', 'answer', ...args], { env: cliEnv(medic), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let joined: () => void;
  const ready = new Promise<void>((resolve) => (joined = resolve));
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('waiting for pre-resurrection notices')) joined();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
  return {
    ready: Promise.race([ready, done.then(({ output: o }) => Promise.reject(new Error(`the simulator ended before it was ready: ${o}`)))]),
    done,
    interrupt: () => child.kill('SIGINT'),
    output: () => output,
  };
}

const of = <T extends KillEvent['type']>(log: KillEvent[], type: T): KillEventOf<T>[] => log.filter((e): e is KillEventOf<T> => e.type === type);

async function killStatus(medic: MedicUnderTest, killId: string): Promise<string | undefined> {
  const client = new Client({ connectionString: medic.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string }>('SELECT status FROM decision.kill_state WHERE kill_id = $1', [killId]);
    return rows[0]?.status;
  } finally {
    await client.end();
  }
}

/** Medic auto-approving low-risk kills (semi_auto), with these Smith settings. */
function autoApprovingMedic(services: HarnessOptions['services'], smith: Record<string, unknown>): Promise<MedicUnderTest> {
  return startMedic({ services, config: { mode: { current: 'semi_auto' }, decision: { auto_approve: { enabled: true } }, smith } });
}

describe('asking Smith before a resurrection (veto protocol on, default: proceed)', () => {
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  let containerId: string;
  const tag = `v${randomBytes(4).toString('hex')}`;
  const topics = { notices: `${tag}.smith.veto`, answers: `${tag}.smith.answers`, responses: `${tag}.medic.responses`, dlq: `${tag}.dlq.veto` };
  const previousDockerHost = process.env.DOCKER_HOST;
  const vetoed: string[] = [];

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-veto-')) });
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    containerId = (await moduleContainer(docker, 'veto-target')).id;
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await autoApprovingMedic(['listener', 'decision', 'negotiator', 'executor', 'gateway'], {
      event_bus: { response_topic: topics.responses },
      veto_protocol: {
        enabled: true,
        timeout_seconds: 8,
        request_topic: topics.notices,
        dlq_topic: topics.dlq,
        default_on_timeout: 'proceed',
        defer_delay_seconds: 1,
        max_defers: 2,
        reply_topics: [topics.answers],
      },
    });
  });
  afterAll(async () => {
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  const kill = async (envelope: Record<string, unknown> = { reply_to: topics.answers }) => {
    const r = killReport({ target_module: 'veto-target' });
    await medic.publishRaw(smithMessage(r, envelope), r.kill_id);
    return r.kill_id;
  };
  const events = (killId: string, last: KillEvent['type'][], timeoutMs = 60_000) =>
    killEventsOf(medic, killId, (es) => es.some((e) => last.includes(e.type)), `${last.join(' or ')} for ${killId}`, timeoutMs);
  const inspect = () => docker.getContainer(containerId).inspect();
  const stopTarget = async () => {
    if ((await inspect()).State.Running) await docker.getContainer(containerId).stop({ t: 1 });
  };

  it("leaves the container untouched when Smith vetoes, keeping Smith's reason and evidence; the kill is VETOED", async () => {
    const before = await inspect();
    expect(before.State.Running).toBe(false);
    const smith = smithAnswers(medic, ['--policy', 'veto', '--reason', 'still beaconing to c2', '--evidence', 'dns c2.example,tls 10.0.0.9', '--once']);
    await smith.ready;
    const killId = await kill();
    vetoed.push(killId);
    const log = await events(killId, ['ResurrectionVetoed', 'VetoCleared']);
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'ResurrectionVetoed']);
    const [asked] = of(log, 'VetoRequested');
    expect(asked).toMatchObject({ attempt: 1, timeoutSeconds: 8, noticeTopic: topics.notices, replyTo: topics.answers, approvedBy: 'policy:auto-approve' });
    expect(of(log, 'ResurrectionVetoed')[0]).toMatchObject({ requestId: asked!.requestId, basis: 'veto', reason: 'still beaconing to c2', newEvidence: ['dns c2.example', 'tls 10.0.0.9'] });
    const { code, output } = await smith.done;
    expect(code).toBe(0);
    expect(output).toContain(`notice ${asked!.requestId}: resurrect veto-target (kill ${killId}`);
    expect(output).toContain('answered veto: still beaconing to c2');
    await eventually(async () => ((await killStatus(medic, killId)) === 'VETOED' ? true : undefined), `kill ${killId} VETOED`);
    const after = await inspect();
    expect(after.State.Running).toBe(false);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    // The operator sees it over REST: the decision is vetoed, with Smith's reason and evidence.
    const decision = await eventually(async () => {
      const page = await medic.get<{ data?: { items: { kill_id: string; status: string }[] } }>('/decisions?module=veto-target&page_size=200');
      const found = page.body.data?.items.find((d) => d.kill_id === killId);
      return found?.status === 'vetoed' ? found : undefined;
    }, `decision of ${killId} vetoed over REST`);
    expect(decision).toMatchObject({
      outcome: 'approve_auto',
      veto: { status: 'vetoed', basis: 'veto', reason: 'still beaconing to c2', new_evidence: ['dns c2.example', 'tls 10.0.0.9'], requested_at: asked!.at, answered_at: of(log, 'ResurrectionVetoed')[0]!.at, attempts: 1 },
    });
  });

  it('starts the container when Smith approves', async () => {
    const before = await inspect();
    const smith = smithAnswers(medic, ['--policy', 'approve', '--once']);
    await smith.ready;
    const killId = await kill();
    const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed', 'ResurrectionVetoed']);
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'VetoCleared', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    expect(of(log, 'VetoCleared')[0]).toMatchObject({ basis: 'approve', reason: 'smith-simulator: approve', approvedBy: 'policy:auto-approve' });
    expect(of(log, 'ResurrectionStarted')[0]).toMatchObject({ approvedBy: 'policy:auto-approve', containerId });
    expect((await smith.done).code).toBe(0);
    const after = await inspect();
    expect(after.State.Running).toBe(true);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
    await stopTarget();
  });

  it('takes the configured default (proceed) when Smith stays silent past timeout_seconds, on the default reply topic', async () => {
    const smith = smithAnswers(medic, ['--policy', 'silent', '--once']);
    await smith.ready;
    // No reply_to: the answer is awaited on smith.event_bus.response_topic.
    const killId = await kill({ reply_to: undefined });
    const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed', 'ResurrectionVetoed']);
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'VetoCleared', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    const [asked] = of(log, 'VetoRequested');
    const [cleared] = of(log, 'VetoCleared');
    expect(asked!.replyTo).toBe(topics.responses);
    expect(cleared).toMatchObject({ basis: 'timeout_default', reason: `Smith did not answer notice ${asked!.requestId} within 8 s; the configured default is to proceed` });
    expect(Date.parse(cleared!.at) - Date.parse(asked!.at)).toBeGreaterThanOrEqual(8_000);
    const { code, output } = await smith.done;
    expect(code).toBe(0);
    expect(output).toContain('staying silent');
    expect((await inspect()).State.Running).toBe(true);
    await stopTarget();
  });

  it('asks again after a defer, then follows the answer to the second notice', async () => {
    const deferring = smithAnswers(medic, ['--policy', 'defer', '--reason', 'forensics running', '--once']);
    await deferring.ready;
    const killId = await kill();
    await events(killId, ['VetoDeferred']);
    expect((await deferring.done).code).toBe(0);
    const approving = smithAnswers(medic, ['--policy', 'approve', '--reason', 'forensics clean', '--once']);
    await approving.ready;
    const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed', 'ResurrectionVetoed']);
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'VetoDeferred', 'VetoRequested', 'VetoCleared', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    const [firstAsk, secondAsk] = of(log, 'VetoRequested');
    const [deferred] = of(log, 'VetoDeferred');
    expect(deferred).toMatchObject({ requestId: firstAsk!.requestId, reason: 'forensics running', defers: 1 });
    expect(Date.parse(deferred!.askAgainAt) - Date.parse(deferred!.at)).toBe(1_000);
    expect(secondAsk).toMatchObject({ attempt: 2, replyTo: topics.answers });
    expect(secondAsk!.requestId).not.toBe(firstAsk!.requestId);
    expect(Date.parse(secondAsk!.at)).toBeGreaterThanOrEqual(Date.parse(deferred!.askAgainAt));
    expect(of(log, 'VetoCleared')[0]).toMatchObject({ requestId: secondAsk!.requestId, basis: 'approve', reason: 'forensics clean' });
    expect((await approving.done).code).toBe(0);
    expect((await inspect()).State.Running).toBe(true);
    await stopTarget();
  });

  it("dead-letters answers it cannot read or match, with the reason, leaves other replies alone, and the exchange still completes", async () => {
    const producer = medic.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const send = (value: unknown) => producer.send({ topic: topics.answers, messages: [{ value: typeof value === 'string' ? value : JSON.stringify(value) }] });
    try {
      await send('{"message_type": "RESURRECTION_VETO", ');
      await send({ message_type: 'RESURRECTION_VETO', decision: 'approve' });
      await send({ message_type: 'RESURRECTION_VETO', request_id: 'no-such-notice', correlation_id: 'no-such-correlation', decision: 'veto' });
      await send({ message_type: 'KILL_ACK', kill_id: 'k-1' });
      const smith = smithAnswers(medic, ['--policy', 'approve', '--once']);
      await smith.ready;
      const killId = await kill();
      const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed', 'ResurrectionVetoed']);
      expect(log.map((e) => e.type)).toContain('ResurrectionSucceeded');
      // Smith answering the settled notice again.
      const [asked] = of(log, 'VetoRequested');
      await send({ message_type: 'RESURRECTION_VETO', request_id: asked!.requestId, correlation_id: asked!.correlationId, decision: 'veto', reason: 'changed my mind' });
      expect((await smith.done).code).toBe(0);
    } finally {
      await producer.disconnect();
    }
    const dead = await readTopic(medic, topics.dlq, (all) => all.length >= 4, 'four dead-lettered answers');
    // Unkeyed, so spread over partitions: read by code, not in order.
    const letters = new Map(dead.map((m: KafkaMessage) => [readDeadLetter(m.headers)?.code, { ...readDeadLetter(m.headers), value: m.value?.toString() }]));
    expect([...letters.keys()].sort()).toEqual(['already_answered', 'invalid_field', 'malformed_json', 'unknown_notice']);
    expect(letters.get('malformed_json')).toMatchObject({ step: 'negotiator-answers', sourceTopic: topics.answers, value: '{"message_type": "RESURRECTION_VETO", ', reason: expect.stringMatching(/not valid JSON/) as unknown });
    expect(letters.get('invalid_field')!.reason).toMatch(/must name its notice by request_id or correlation_id/);
    expect(letters.get('unknown_notice')!.reason).toBe('no pre-resurrection notice was sent with correlation_id no-such-correlation, request_id no-such-notice');
    expect(letters.get('already_answered')!.reason).toMatch(/is already settled \(cleared, approve\)/);
    expect(dead).toHaveLength(4);
    expect(medic.service('negotiator').isRunning()).toBe(true);
    await stopTarget();
  });

  it('has not touched the container of the vetoed kill since', async () => {
    const log = await killEventsOf(medic, vetoed[0]!, (es) => es.length >= 5, 'the vetoed kill');
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'ResurrectionVetoed']);
  });

  it('after a restart past the deadline, takes the answer Smith gave in time while the negotiator was down, and the default over one given late', async () => {
    const other = killReport({ target_module: 'veto-bystander' });
    await medic.publishRaw(smithMessage(other, { reply_to: topics.answers }), other.kill_id);
    const [inTime] = of(await events(other.kill_id, ['VetoRequested']), 'VetoRequested');
    const lateKill = await kill();
    const [late] = of(await events(lateKill, ['VetoRequested']), 'VetoRequested');
    // Both notices reached Smith before the negotiator went down.
    await readTopic(medic, topics.notices, (all) => [inTime!, late!].every((a) => all.some((m) => m.value?.toString().includes(a.requestId))), 'both notices sent');
    await medic.service('negotiator').stop();
    const producer = medic.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const answer = (asked: KillEventOf<'VetoRequested'>, reason: string) =>
      producer.send({
        topic: topics.answers,
        messages: [{ key: asked.killId, value: JSON.stringify({ message_type: 'RESURRECTION_VETO', request_id: asked.requestId, correlation_id: asked.correlationId, decision: 'veto', reason, new_evidence: [], timestamp: new Date().toISOString() }) }],
      });
    try {
      // Other traffic on the shared reply topic ahead of the answer, in its partition: after the restart the answers
      // step takes a while to reach it, and no deadline may settle the kill meanwhile.
      const other = JSON.stringify({ message_type: 'KILL_ACK', kill_id: inTime!.killId, note: 'x'.repeat(100) });
      for (let i = 0; i < 20; i++) await producer.send({ topic: topics.answers, messages: Array.from({ length: 1_000 }, () => ({ key: inTime!.killId, value: other })) });
      await answer(inTime!, 'answered in time');
      // Both deadlines pass while the negotiator is down; then Smith answers the other notice.
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(late!.deadline) + 500 - Date.now())));
      await answer(late!, 'answered late');
    } finally {
      await producer.disconnect();
    }
    await medic.start('negotiator');
    const settled = await events(other.kill_id, ['ResurrectionVetoed', 'VetoCleared']);
    expect(settled.slice(-1)[0]).toMatchObject({ type: 'ResurrectionVetoed', requestId: inTime!.requestId, basis: 'veto', reason: 'answered in time' });
    const defaulted = await events(lateKill, ['ResurrectionSucceeded', 'ResurrectionFailed', 'ResurrectionVetoed']);
    expect(of(defaulted, 'VetoCleared')).toEqual([expect.objectContaining({ requestId: late!.requestId, basis: 'timeout_default' })]);
    expect(of(defaulted, 'ResurrectionVetoed')).toEqual([]);
    const dead = await readTopic(medic, topics.dlq, (all) => all.some((m) => readDeadLetter(m.headers)?.code === 'late_answer'), 'the late answer dead-lettered');
    const letter = readDeadLetter(dead.find((m) => readDeadLetter(m.headers)?.code === 'late_answer')!.headers);
    expect(letter!.reason).toMatch(new RegExp(`^the answer to notice ${late!.requestId} about kill ${lateKill} came at .+, after its deadline ${late!.deadline.replace(/[.]/g, '[.]')}; the default \\(proceed\\) settles it$`));
    await stopTarget();
  });

  it("medic replay rebuild folds the negotiator's state again from the log, equal to the live one", async () => {
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        // Not the timers' leases and firing counts: the live service's bookkeeping, not the exchanges.
        kills: 'SELECT kill_id, target_module, reply_to, risk, exchange, due_at, notice, cause FROM negotiator.veto_kills ORDER BY kill_id',
        asks: 'SELECT * FROM negotiator.veto_asks ORDER BY correlation_id',
      });
    // Settled: every notice sent, every exchange answered, approved, vetoed, deferred or timed out.
    const live = await eventually(async () => {
      const s = await snapshot();
      const kills = s['kills'] as { notice: unknown; due_at: unknown }[];
      return kills.length >= 5 && kills.every((k) => k.notice === null && k.due_at === null) ? s : undefined;
    }, "the negotiator's exchanges to be settled");
    expect((live['asks'] ?? []).length).toBeGreaterThanOrEqual(5);
    const env = cliEnv(medic);
    const rebuilt = await medicCli(['replay', 'rebuild', '--projection', 'negotiator.veto'], { env });
    expect(rebuilt.stdout).toMatch(/^rebuilt negotiator\.veto: \d+ events applied/);
    expect(await snapshot()).toEqual(live);
  });

  it('medic smith kill --stop stops the module as Smith would before reporting; with no such container it reports nothing', async () => {
    const other = await moduleContainer(docker, 'stop-target', { running: true });
    expect((await other.inspect()).State.Running).toBe(true);
    const env = cliEnv(medic, { DOCKER_HOST: `unix://${engine.socket}` });
    // Critical: denied, so nothing waits on Smith afterwards.
    const { stdout } = await medicCli(['smith', 'kill', 'stop-target', '--stop', '--severity', 'critical', '--confidence', '0.99', '--reason', 'threat_detected', '--kill-id', `${tag}-stop`], { env });
    expect(stdout).toMatch(/stopped container stop-target \([0-9a-f]{12}\) of stop-target on unix:\/\//);
    expect(stdout).toContain(`sent kill ${tag}-stop of stop-target`);
    expect((await other.inspect()).State.Running).toBe(false);
    const log = await events(`${tag}-stop`, ['DecisionMade']);
    expect(log.find((e) => e.type === 'DecisionMade')).toMatchObject({ decision: { outcome: 'deny' } });

    const admin = medic.kafka.admin();
    await admin.connect();
    const total = async () => (await admin.fetchTopicOffsets(medic.topics.smith)).reduce((sum, p) => sum + Number(p.high), 0);
    try {
      const before = await total();
      const missing = await medicCli(['smith', 'kill', 'ghost-module', '--stop', '--kill-id', `${tag}-ghost`], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no container for module ghost-module on unix:\/\/.*\(none labelled medic\.module=ghost-module or named so\); no report sent/);
      expect(await total()).toBe(before);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('asking Smith with the default abort', () => {
  let medic: MedicUnderTest;
  const tag = `a${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    medic = await autoApprovingMedic(['listener', 'decision', 'negotiator'], {
      event_bus: { response_topic: `${tag}.medic.responses` },
      veto_protocol: { enabled: true, timeout_seconds: 2, request_topic: `${tag}.smith.veto`, dlq_topic: `${tag}.dlq.veto`, default_on_timeout: 'abort', defer_delay_seconds: 1, max_defers: 0 },
    });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  const kill = async () => {
    const r = killReport({ target_module: 'abort-target' });
    await medic.publishRaw(smithMessage(r, { reply_to: undefined }), r.kill_id);
    return r.kill_id;
  };

  it('vetoes the resurrection when Smith stays silent', async () => {
    const smith = smithAnswers(medic, ['--policy', 'silent', '--once']);
    await smith.ready;
    const killId = await kill();
    const log = await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'ResurrectionVetoed' || e.type === 'VetoCleared'), 'the default');
    expect(of(log, 'ResurrectionVetoed')[0]).toMatchObject({ basis: 'timeout_default', reason: expect.stringMatching(/within 2 s; the configured default is to abort$/) as unknown, newEvidence: [] });
    expect((await smith.done).code).toBe(0);
    await eventually(async () => ((await killStatus(medic, killId)) === 'VETOED' ? true : undefined), `kill ${killId} VETOED`);
  });

  it('runs the simulator until Ctrl-C, which ends it cleanly, says at once when a reply topic does not exist, and refuses bad options with a usage error', async () => {
    const smith = smithAnswers(medic, ['--policy', 'approve']);
    await smith.ready;
    const producer = medic.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const notice = { message_type: 'PRE_RESURRECTION_NOTICE', request_id: `${tag}-r-nowhere`, kill_id: `${tag}-k-nowhere`, target_module: 'veto-target', reply_to: `${tag}.no.such.topic`, timeout_seconds: 30 };
    const sent = Date.now();
    try {
      await producer.send({ topic: `${tag}.smith.veto`, messages: [{ key: notice.kill_id, value: JSON.stringify(notice) }] });
    } finally {
      await producer.disconnect();
    }
    // A send to the missing topic would be retried for half a minute.
    await eventually(() => Promise.resolve(smith.output().includes(`could not answer on ${notice.reply_to}: there is no such topic`) ? true : undefined), 'the simulator to give up on the missing reply topic', 10_000);
    expect(Date.now() - sent).toBeLessThan(10_000);
    smith.interrupt();
    const { code, output } = await smith.done;
    expect(code).toBe(0);
    expect(output).toContain('until Ctrl-C');
    expect(output).toContain('handled 1 notice');
    const bad = await medicCli(['smith', 'answer', '--policy', 'maybe'], { env: cliEnv(medic) }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(bad).toEqual({ code: 2, stderr: 'medic: --policy must be one of approve, veto, defer, silent\n' });
  });

  it('settles by the default once Smith defers more often than max_defers allows', async () => {
    const smith = smithAnswers(medic, ['--policy', 'defer', '--reason', 'not sure yet', '--evidence', 'scan pending', '--once']);
    await smith.ready;
    const killId = await kill();
    const log = await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'ResurrectionVetoed' || e.type === 'VetoCleared'), 'the default after a defer');
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'ResurrectionVetoed']);
    expect(of(log, 'ResurrectionVetoed')[0]).toMatchObject({ basis: 'defer', newEvidence: ['scan pending'], reason: expect.stringMatching(/^Smith deferred notice .* \(not sure yet\), its defer number 1 where at most 0 are honoured; the configured default is to abort$/) as unknown });
    expect((await smith.done).code).toBe(0);
  });

  it("asks Smith again about a human's approval of an automatic one a quarantine sent to review after Smith cleared it", async () => {
    const smith = smithAnswers(medic, ['--policy', 'approve', '--count', '2']);
    await smith.ready;
    const killId = await kill();
    await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'VetoCleared'), 'the first clearance');
    // What the executor sends when it finds the module quarantined since the automatic approval; then an operator approves.
    const at = () => new Date().toISOString();
    const producer = medic.kafka.producer();
    await producer.connect();
    const send = (command: LoggedKillCommand) =>
      producer.send({ topic: medic.topics.commands, acks: -1, messages: [toKafkaMessage('command', newEnvelope('command', command, { source: 'medic/test', subject: killId, time: command.at }))] });
    try {
      const asked = at();
      await send({ type: 'ReviewApproval', commandId: randomUUID(), killId, at: asked, actor: 'executor:quarantine', reason: 'module abort-target is quarantined', queueItemId: randomUUID(), expiresAt: new Date(Date.parse(asked) + 3_600_000).toISOString() });
      await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'ApprovalRequested'), 'the request for a human');
      await send({ type: 'GrantApproval', commandId: randomUUID(), killId, at: at(), approver: 'ops', notes: null });
    } finally {
      await producer.disconnect();
    }
    const log = await killEventsOf(medic, killId, (es) => of(es, 'VetoCleared').length === 2, 'the second clearance');
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'VetoCleared', 'ApprovalRequested', 'ApprovalGranted', 'VetoRequested', 'VetoCleared']);
    const [first, second] = of(log, 'VetoRequested');
    expect(first).toMatchObject({ approvedBy: 'policy:auto-approve' });
    expect(second).toMatchObject({ approvedBy: 'ops' });
    expect(second!.requestId).not.toBe(first!.requestId);
    expect(of(log, 'VetoCleared')[1]).toMatchObject({ approvedBy: 'ops', basis: 'approve' });
    expect((await smith.done).code).toBe(0);
    await eventually(async () => ((await killStatus(medic, killId)) === 'APPROVED' ? true : undefined), `kill ${killId} APPROVED by the operator`);
  });
});

describe("Smith's reply_to: only the configured reply topics", () => {
  let medic: MedicUnderTest;
  const tag = `r${randomBytes(4).toString('hex')}`;
  const topics = { responses: `${tag}.medic.responses`, answers: `${tag}.smith.answers`, elsewhere: `${tag}.smith.elsewhere`, beforeTheFix: `${tag}.smith.before` };

  beforeAll(async () => {
    medic = await autoApprovingMedic(['listener', 'decision', 'negotiator'], {
      event_bus: { response_topic: topics.responses },
      veto_protocol: { enabled: true, timeout_seconds: 30, default_on_timeout: 'proceed', reply_topics: [topics.answers] },
    });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  /** The topics on the broker, and the topics Medic's negotiator has ever read Smith's answers from (by its consumer groups). */
  const topicsAndReaders = async (): Promise<{ topics: string[]; answersReadFrom: string[] }> => {
    const admin = medic.kafka.admin();
    await admin.connect();
    try {
      const prefix = `${medic.id}-negotiator-answers-`;
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
      return { topics: await admin.listTopics(), answersReadFrom: groups.map((g) => g.slice(prefix.length)).sort() };
    } finally {
      await admin.disconnect();
    }
  };

  it("dead-letters a report whose reply_to is Medic's own log, a Kafka internal topic or any other topic not configured, creating nothing; a configured one is asked on", async () => {
    const allowed = `allowed: "${topics.responses}", "${topics.answers}" (smith.veto_protocol.reply_topics)`;
    const refused = [medic.topics.kill, '__consumer_offsets', topics.elsewhere];
    for (const replyTo of refused) {
      const r = killReport({ target_module: 'reply-target', kill_id: `${tag}-${replyTo}` });
      await medic.publishRaw(smithMessage(r, { reply_to: replyTo }), r.kill_id);
    }
    const smith = smithAnswers(medic, ['--policy', 'approve', '--once']);
    await smith.ready;
    const good = killReport({ target_module: 'reply-target' });
    await medic.publishRaw(smithMessage(good, { reply_to: topics.answers }), good.kill_id);

    const dead = await readTopic(medic, medic.topics.dlq, (all) => all.length >= refused.length, 'the refused reports dead-lettered');
    expect(dead).toHaveLength(refused.length);
    const letters = dead.map((m) => ({ ...readDeadLetter(m.headers), field: m.headers?.['medic_dlq_field']?.toString(), key: m.key?.toString() }));
    for (const replyTo of refused) {
      expect(letters.find((l) => l.key === `${tag}-${replyTo}`)).toMatchObject({
        step: 'listener',
        code: 'invalid_envelope',
        field: 'reply_to',
        reason: `reply_to "${replyTo}" is not a topic Medic reads Smith's answers from; ${allowed}`,
      });
    }

    // The allowed reply_to still goes through the exchange, answered on the topic it named.
    const log = await killEventsOf(medic, good.kill_id, (es) => es.some((e) => e.type === 'VetoCleared' || e.type === 'ResurrectionVetoed'), 'the exchange of the good report');
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'VetoRequested', 'VetoCleared']);
    expect(of(log, 'VetoRequested')[0]).toMatchObject({ replyTo: topics.answers });
    expect(of(log, 'VetoCleared')[0]).toMatchObject({ basis: 'approve' });
    expect((await smith.done).code).toBe(0);
    // The refused reports never reached the log, and no topic nor reader was made for the names they gave.
    const kills = await readTopic(medic, medic.topics.kill, (all) => all.length >= log.length, 'the kill log');
    expect(new Set(kills.map((m) => m.headers?.['ce_subject']?.toString()))).toEqual(new Set([good.kill_id]));
    const { topics: existing, answersReadFrom } = await topicsAndReaders();
    expect(existing).not.toContain(topics.elsewhere);
    expect(answersReadFrom).toEqual([topics.answers, topics.responses].sort());
  });

  it('asks on the default reply topic about a kill reported before the check, whatever topic its report named, and reads no other', async () => {
    const producer = medic.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // As the listener let them through before reply_to was checked: one naming Medic's own log, one a new topic.
    const named = [medic.topics.kill, topics.beforeTheFix];
    const killIds: string[] = [];
    try {
      for (const replyTo of named) {
        const wire = killReport({ target_module: 'reply-target' });
        const parsed = parseSmithKillMessage(Buffer.from(smithMessage(wire, { reply_to: undefined })));
        if (!parsed.ok) throw new Error(parsed.error.reason);
        const at = new Date().toISOString();
        const reported = { type: 'KillReported' as const, killId: wire.kill_id, at, report: parsed.value.payload, correlationId: null, replyTo, source: { topic: medic.topics.smith, partition: 0, offset: '0' }, signedBy: null, ignoredFields: [] };
        await producer.send({ topic: medic.topics.kill, acks: -1, messages: [toKafkaMessage('kill', newEnvelope('kill', reported, { source: 'medic/listener', subject: wire.kill_id, time: at }))] });
        killIds.push(wire.kill_id);
      }
    } finally {
      await producer.disconnect();
    }
    for (const killId of killIds) {
      const log = await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'VetoRequested'), `the notice about ${killId}`);
      expect(of(log, 'VetoRequested')[0]).toMatchObject({ replyTo: topics.responses });
    }
    const { topics: existing, answersReadFrom } = await topicsAndReaders();
    expect(existing).not.toContain(topics.beforeTheFix);
    expect(answersReadFrom).toEqual([topics.answers, topics.responses].sort());
    expect(medic.service('negotiator').isRunning()).toBe(true);
  });
});
