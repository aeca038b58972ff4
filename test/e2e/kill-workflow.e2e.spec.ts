import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { KillEvent, LoggedKillCommand } from '@medic/domain';
import { EOS_PRODUCER, newEnvelope, toKafkaMessage } from '@medic/eventlog';
import { eventually, killEventsOf, killReport, readTopic, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';


/*
 * The kill workflow through the log alone: commands in on medic.kill.commands,
 * answers out on medic.kill.events; durable timers; internal dead letters; a
 * rebuilt decision state equal to the live one.
 */
describe('the kill workflow: commands, timers, dead letters, rebuild', () => {
  const TIMEOUT_SECONDS = 4;
  let medic: MedicUnderTest;
  let producer: Producer;

  beforeAll(async () => {
    medic = await startMedic({
      services: ['listener', 'decision'],
      config: { mode: { current: 'manual' }, interfaces: { approval_queue: { timeout_hours: TIMEOUT_SECONDS / 3600 } } },
    });
    producer = medic.kafka.producer(EOS_PRODUCER);
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await medic?.stop();
  });

  const readAll = (topic: string, until: (all: KafkaMessage[]) => boolean, what: string, timeoutMs?: number) => readTopic(medic, topic, until, what, timeoutMs);
  const eventsOf = (killId: string, until: (events: KillEvent[]) => boolean, what: string, timeoutMs?: number) => killEventsOf(medic, killId, until, what, timeoutMs);

  async function report(): Promise<string> {
    const r = killReport();
    await medic.publishRaw(smithMessage(r), r.kill_id);
    return r.kill_id;
  }

  async function pending(killId: string): Promise<KillEvent[]> {
    return eventsOf(killId, (events) => events.some((e) => e.type === 'ApprovalRequested'), `an approval request for ${killId}`);
  }

  async function send(command: LoggedKillCommand): Promise<void> {
    const env = newEnvelope('command', command, { source: 'medic/test-operator', subject: command.killId, time: command.at });
    await producer.send({ topic: medic.topics.commands, acks: -1, messages: [toKafkaMessage('command', env)] });
  }

  const grant = (killId: string, approver = 'alice'): LoggedKillCommand => ({ type: 'GrantApproval', commandId: randomUUID(), killId, at: new Date().toISOString(), approver, notes: 'checked' });
  const deny = (killId: string, denier = 'bob'): LoggedKillCommand => ({ type: 'DenyApproval', commandId: randomUUID(), killId, at: new Date().toISOString(), denier, reason: 'still hostile' });
  const answers = (events: KillEvent[], commandId: string) =>
    events.filter((e) => (e.type === 'ApprovalGranted' || e.type === 'ApprovalDenied' || e.type === 'CommandRejected') && e.commandId === commandId);

  it('answers each command on the log: the allowed one with its event, the rest with CommandRejected', async () => {
    const killId = await report();
    await pending(killId);
    const first = grant(killId, 'alice');
    const second = grant(killId, 'carol');
    const late = deny(killId);
    for (const c of [first, second, late]) await send(c);
    const events = await eventsOf(killId, (es) => answers(es, late.commandId).length > 0, `answers to three commands for ${killId}`);

    expect(answers(events, first.commandId)).toEqual([expect.objectContaining({ type: 'ApprovalGranted', approver: 'alice', notes: 'checked' })]);
    expect(answers(events, second.commandId)).toEqual([
      expect.objectContaining({ type: 'CommandRejected', commandType: 'GrantApproval', actor: 'carol', code: 'illegal_transition', reason: expect.stringMatching(/APPROVED/) as unknown }),
    ]);
    expect(answers(events, late.commandId)).toEqual([expect.objectContaining({ type: 'CommandRejected', commandType: 'DenyApproval', actor: 'bob' })]);
    expect(events.filter((e) => e.type === 'ApprovalGranted')).toHaveLength(1);

    const unknown = grant('never-reported');
    await send(unknown);
    const rejected = await eventsOf('never-reported', (es) => es.length > 0, 'an answer for a kill never reported');
    expect(rejected).toEqual([expect.objectContaining({ type: 'CommandRejected', commandId: unknown.commandId, code: 'illegal_transition' })]);
  });

  it('expires an unanswered approval exactly once, after the configured timeout', async () => {
    const killId = await report();
    const requested = (await pending(killId)).find((e) => e.type === 'ApprovalRequested');
    const events = await eventsOf(killId, (es) => es.some((e) => e.type === 'ApprovalExpired'), `the expiry of ${killId}`, 20_000);
    const expired = events.filter((e) => e.type === 'ApprovalExpired');
    expect(expired).toHaveLength(1);
    expect(requested?.type === 'ApprovalRequested' && Date.parse(expired[0]!.at) >= Date.parse(requested.expiresAt)).toBe(true);

    // An answer after the expiry is refused; the expiry stays the only verdict.
    const tooLate = grant(killId);
    await send(tooLate);
    const after = await eventsOf(killId, (es) => answers(es, tooLate.commandId).length > 0, 'the answer to a late approval');
    expect(answers(after, tooLate.commandId)).toEqual([expect.objectContaining({ type: 'CommandRejected' })]);
    expect(after.filter((e) => e.type === 'ApprovalExpired')).toHaveLength(1);
  });

  it('fires a timer that came due while the decision service was down, once, right after it is back', async () => {
    const killId = await report();
    const requested = (await pending(killId)).find((e) => e.type === 'ApprovalRequested');
    if (requested?.type !== 'ApprovalRequested') throw new Error('no approval request');
    medic.service('decision').kill('SIGKILL');
    await medic.service('decision').exited;
    // Wait out the due time with the service down.
    await eventually(() => Promise.resolve(Date.now() > Date.parse(requested.expiresAt) + 1000 ? true : undefined), 'the due time to pass');
    const restarted = Date.now();
    await medic.start('decision');
    const events = await eventsOf(killId, (es) => es.some((e) => e.type === 'ApprovalExpired'), `the expiry of ${killId} after the restart`, 20_000);
    const expired = events.filter((e) => e.type === 'ApprovalExpired');
    expect(expired).toHaveLength(1);
    expect(Date.parse(expired[0]!.at)).toBeGreaterThanOrEqual(restarted);
    expect(Date.parse(expired[0]!.at) - restarted).toBeLessThan(15_000);
  });

  it('dead-letters poison records on the kill log with the reason, and decides the kills behind them', async () => {
    const poison = (ceType: string, value: Buffer, subject: string) => ({
      key: subject,
      value,
      headers: { ce_id: randomUUID(), ce_type: ceType, ce_source: 'medic/test-poison', ce_specversion: '1.0', ce_time: new Date().toISOString(), ce_subject: subject },
    });
    const illegal = toKafkaMessage(
      'kill',
      newEnvelope(
        'kill',
        { type: 'ApprovalGranted', killId: 'ghost-kill', at: new Date().toISOString(), decisionId: randomUUID(), approver: 'mallory', notes: null, commandId: null },
        { source: 'medic/test-poison', subject: 'ghost-kill', time: new Date().toISOString() },
      ),
    );
    const records = [
      poison('medic.kill.v1.KillReported', Buffer.from('\xff\x00garbage that is no protobuf', 'latin1'), 'poison-1'),
      poison('medic.kill.v9.KillReported', Buffer.from('from the future'), 'poison-2'),
      { ...illegal, headers: illegal.headers },
    ];
    // The same partition (key) as the good kill behind them.
    const behind = killReport();
    await producer.send({ topic: medic.topics.kill, acks: -1, messages: records.map((r) => ({ ...r, key: behind.kill_id })) });
    await medic.publishRaw(smithMessage(behind), behind.kill_id);

    await pending(behind.kill_id);
    const dead = await readAll(medic.topics.internalDlq, (all) => all.length >= 3, 'three dead letters', 60_000);
    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    expect(dead.map((m) => header(m, 'medic_dlq_step'))).toEqual(['decision', 'decision', 'decision']);
    expect(dead.map((m) => header(m, 'medic_dlq_code'))).toEqual(['undecodable', 'unknown_event_type', 'illegal_transition']);
    expect(header(dead[2]!, 'medic_dlq_reason')).toMatch(/ghost-kill/);
    for (const [i, m] of dead.entries()) {
      expect(header(m, 'medic_dlq_source_topic')).toBe(medic.topics.kill);
      expect(header(m, 'medic_dlq_source_offset')).toMatch(/^\d+$/);
      expect(m.value?.equals(records[i]!.value as Buffer)).toBe(true);
    }
    const metrics = await (await fetch(medic.metricsUrl('decision'))).text();
    expect(metrics).toMatch(/medic_dead_letters_total\{step="decision",code="illegal_transition"[^}]*\} 1\n/);

    // An audit reads the whole log around records it cannot decode, and names them.
    const env = cliEnv(medic);
    const audit = await medicCli(['replay', 'audit', 'poison-1'], { env });
    expect(audit.stdout).toMatch(/unreadable record .*@\d+ \(undecodable\)/);
    expect((await medicCli(['replay', 'audit', behind.kill_id], { env })).stdout).toMatch(/KillReported/);
  });

  it('rebuilds the decision state from the log to exactly the live one after a mixed history', async () => {
    // Approvals, denials, expiries and repeats on top of what the tests above left.
    const granted = await report();
    const denied = await report();
    const repeated = killReport();
    await medic.publishRaw(smithMessage(repeated), repeated.kill_id);
    await medic.publishRaw(smithMessage(repeated), repeated.kill_id);
    await pending(granted);
    await pending(denied);
    await send(grant(granted));
    const refusal = deny(denied);
    await send(refusal);
    await send(deny(denied));
    await eventsOf(denied, (es) => es.filter((e) => e.type === 'CommandRejected').length > 0, 'the second denial refused');
    await eventsOf(repeated.kill_id, (es) => es.some((e) => e.type === 'ApprovalExpired'), 'the expiry of the repeated kill', 20_000);

    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        kills: 'SELECT kill_id, partition, status, target_module, state, auto_approved_at FROM decision.kill_state ORDER BY kill_id',
        days: 'SELECT * FROM decision.module_daily ORDER BY target_module, day, source_partition',
        timers: 'SELECT timer_id, kill_id, due_at, command, traceparent FROM decision.kill_timers ORDER BY timer_id',
      });
    const live = await snapshot();
    expect(live.kills?.length).toBeGreaterThanOrEqual(7);
    expect(live.kills).toEqual(expect.arrayContaining([expect.objectContaining({ kill_id: denied, status: 'DENIED' }), expect.objectContaining({ kill_id: granted, status: 'APPROVED' })]));
    const env = cliEnv(medic);
    const rebuilt = await medicCli(['replay', 'rebuild', '--projection', 'decision.workflow'], { env });
    expect(rebuilt.stdout).toMatch(/rebuilt decision\.workflow: \d+ events applied/);
    // The poison records dead-lettered above are left out as the workflow left them out, and named.
    expect(rebuilt.stdout).toMatch(/3 records left out, as the live step left them out:/);
    for (const code of ['undecodable', 'unknown_event_type', 'illegal_transition']) expect(rebuilt.stdout).toMatch(new RegExp(`\\.kill\\.events/\\d+@\\d+ \\([^)]*\\) ${code}: `));
    expect(rebuilt.stdout).toMatch(/\(medic\.kill\.v1\.ApprovalGranted\) illegal_transition: .*ghost-kill/);
    expect(await snapshot()).toEqual(live);

    // The workflow carries on from the rebuilt state.
    const after = await report();
    await pending(after);
    await send(grant(after));
    await eventsOf(after, (es) => es.some((e) => e.type === 'ApprovalGranted'), 'an approval after the rebuild');
  });
});
