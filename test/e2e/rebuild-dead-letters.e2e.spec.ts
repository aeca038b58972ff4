import type { KafkaMessage, Message, Producer } from 'kafkajs';
import type { KillReported } from '@medic/domain';
import { EOS_PRODUCER, newEnvelope, readDeadLetter, toKafkaMessage, type DeadLetterInfo } from '@medic/eventlog';
import { cliEnv, eventually, killEventsOf, killReport, medicCli, readTopic, smithMessage, snapshotTables, startMedic, type MedicUnderTest } from '@medic/testing';
import { SAMPLE_EVENTS } from '../../libs/domain/test/kill-event-samples';
import { WORKFLOW_SOURCE } from '../../apps/decision/src/workflow/rebuild-workflow-state';

/*
 * `medic replay rebuild` and what the live steps dead-lettered: a kill report
 * Postgres refuses (a NUL in its module's name, put on the kill log past the
 * listener's checks) is dead-lettered by the kill workflow and by the gateway,
 * between kills decided as usual; a rebuild leaves it out as they did, says so,
 * and comes to the live rows. A record that fails only in the rebuild stops
 * it, named, with exit code 1 and the live state as it was.
 */
describe('medic replay rebuild and dead-lettered records', () => {
  let medic: MedicUnderTest;
  let producer: Producer;

  beforeAll(async () => {
    medic = await startMedic({ services: ['listener', 'decision', 'gateway'] });
    producer = medic.kafka.producer(EOS_PRODUCER);
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await medic?.stop();
  });

  /** A kill report written straight to the kill log, as `source`, for a module whose name Postgres cannot store. */
  const unstorable = (killId: string, source: string): Message => {
    const event: KillReported = {
      ...SAMPLE_EVENTS.KillReported,
      killId,
      at: new Date().toISOString(),
      report: { ...SAMPLE_EVENTS.KillReported.report, killId, targetModule: 'nul\u0000module' },
    };
    return toKafkaMessage('kill', newEnvelope('kill', event, { source, subject: killId, time: event.at }));
  };

  async function decided(killId: string): Promise<void> {
    await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'DecisionMade'), `a decision for ${killId}`);
  }

  async function report(key?: string): Promise<string> {
    const r = killReport();
    await medic.publishRaw(smithMessage(r), key ?? r.kill_id);
    return r.kill_id;
  }

  const deadLettersOf = (killId: string, steps: number) =>
    readTopic(medic, medic.topics.internalDlq, (all) => all.filter((m) => m.headers?.ce_subject?.toString() === killId).length >= steps, `${steps} dead letters for ${killId}`, 60_000).then(
      (all) => new Map(all.filter((m: KafkaMessage) => m.headers?.ce_subject?.toString() === killId).map((m) => [readDeadLetter(m.headers)!.step, readDeadLetter(m.headers)!])),
    );

  const snapshot = () =>
    snapshotTables(medic.databaseUrl, {
      killState: 'SELECT kill_id, partition, status, target_module, state, auto_approved_at FROM decision.kill_state ORDER BY kill_id',
      days: 'SELECT * FROM decision.module_daily ORDER BY target_module, day, source_partition',
      timers: 'SELECT timer_id, kill_id, due_at, command, traceparent FROM decision.kill_timers ORDER BY timer_id',
      kills: 'SELECT * FROM gateway.kills ORDER BY kill_id',
    });

  /** The live rows once the gateway shows every kill named decided. */
  const settled = (killIds: readonly string[]) =>
    eventually(async () => {
      const now = await snapshot();
      const shown = new Set((now['kills'] as { kill_id: string; decision_id: string | null }[]).filter((k) => k.decision_id !== null).map((k) => k.kill_id));
      return killIds.every((id) => shown.has(id)) ? now : undefined;
    }, 'the gateway showing every decided kill');

  const where = (l: DeadLetterInfo) => `${l.sourceTopic}/${l.sourcePartition}@${l.sourceOffset} (medic.kill.v1.KillReported)`;
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  let poison: DeadLetterInfo;

  it('rebuilds the kill workflow and the gateway to the live rows, leaving out the report both dead-lettered, and says so', async () => {
    const before = await report();
    await decided(before);
    // The poison, and a kill behind it in its partition.
    const behind = killReport();
    await producer.send({ topic: medic.topics.kill, acks: -1, messages: [{ ...unstorable('poison-kill', 'medic/test-poison'), key: behind.kill_id }] });
    await medic.publishRaw(smithMessage(behind), behind.kill_id);
    await decided(behind.kill_id);

    const letters = await deadLettersOf('poison-kill', 2);
    expect([...letters.keys()].sort()).toEqual(['decision', 'gateway']);
    // Both undid what they had done with it: the rebuild leaves it out before folding.
    expect(letters.get('decision')).toMatchObject({ code: 'handler_error', rolledBack: '*', sourceTopic: medic.topics.kill });
    expect(letters.get('gateway')?.rolledBack).toMatch(/(^|,)gateway\.kills@\d+(,|$)/);
    poison = letters.get('decision')!;

    const after = await report();
    await decided(after);
    const live = await settled([before, behind.kill_id, after]);
    expect(live['killState']!.map((k) => (k as { kill_id: string }).kill_id)).not.toContain('poison-kill');

    const rebuilt = await medicCli(['replay', 'rebuild', '--projection', 'decision.workflow', '--projection', 'gateway.kills'], { env: cliEnv(medic) });
    for (const [name, code] of [
      ['decision.workflow', 'handler_error'],
      ['gateway.kills', 'projection_failed'],
    ] as const) {
      expect(rebuilt.stdout).toMatch(new RegExp(`rebuilt ${escaped(name)}: \\d+ events applied in \\d+ ms; 1 record left out, as the live step left it out:\\n  ${escaped(where(poison))} ${code}: `));
    }
    expect(rebuilt.stdout.match(/left out/g)).toHaveLength(2);
    expect(await snapshot()).toEqual(live);

    // The workflow carries on from the rebuilt state.
    await decided(await report());
  });

  it('stops the rebuild at a record that fails only there, naming it, exits 1 and leaves the live state as it was', async () => {
    // A report that claims to be the workflow's own output: the live workflow passes its own events by, so never
    // dead-letters it; the gateway's runner reads it and does.
    await producer.send({ topic: medic.topics.kill, acks: -1, messages: [unstorable('forged-kill', WORKFLOW_SOURCE)] });
    const forged = (await deadLettersOf('forged-kill', 1)).get('gateway')!;
    const last = await report();
    await decided(last);
    const live = await settled([last]);

    const env = cliEnv(medic);
    const failure = (await medicCli(['replay', 'rebuild', '--projection', 'decision.workflow'], { env }).catch((error: unknown) => error)) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(
      new RegExp(
        `medic: could not rebuild decision\\.workflow: ${escaped(where(forged))} cannot be folded, and the live step decision did not dead-letter it: Postgres refused it: .*\\(SQLSTATE \\w{5}\\); decision\\.workflow is left as it was`,
      ),
    );
    expect(failure.stderr).toMatch(/1 of 1 rebuilds failed \(decision\.workflow\)/);
    expect(await snapshot()).toEqual(live);

    // The gateway dead-lettered both: its rebuild still succeeds, leaving both out.
    const gateway = await medicCli(['replay', 'rebuild', '--projection', 'gateway.kills'], { env });
    expect(gateway.stdout).toMatch(/rebuilt gateway\.kills: \d+ events applied in \d+ ms; 2 records left out, as the live step left them out:/);
    expect(gateway.stdout).toContain(where(poison));
    expect(gateway.stdout).toContain(where(forged));
    expect(await snapshot()).toEqual(live);
    await decided(await report());
  });
});
