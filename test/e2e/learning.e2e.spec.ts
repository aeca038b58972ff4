import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { DecisionMade, KillEvent, RiskAssessed } from '@medic/domain';
import { EOS_PRODUCER, newEnvelope, toKafkaMessage } from '@medic/eventlog';
import { eventually, killEventsOf, killReport, smithMessage, snapshotTables, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';
import { SAMPLE_EVENTS } from '../../libs/domain/test/kill-event-samples';


interface Envelope<T> {
  readonly data: T;
}

interface Thresholds {
  thresholds: { minimal: number; low: number; medium: number; high: number };
  source: string;
  updated_by: string | null;
  reason: string | null;
}

/*
 * The learning service on a stack of its own: the outcomes of auto-approved
 * resurrections move the reach of auto-approval (ThresholdsRecalibrated), the
 * kill workflow decides by it, and an analysis with no new outcomes moves
 * nothing.
 */
describe('learning from outcomes: recalibrating auto-approval', () => {
  let medic: MedicUnderTest;
  let producer: Producer;

  beforeAll(async () => {
    medic = await startMedic({
      services: ['listener', 'decision', 'learning', 'gateway'],
      config: {
        mode: { current: 'semi_auto' },
        decision: { auto_approve: { enabled: true } },
        // An analysis every 2 s, and three outcomes are enough to move the thresholds.
        learning: { enabled: true, analysis: { min_samples: 3, interval_hours: 2 / 3600 }, threshold_adjustment: { enabled: true, max_adjustment_percent: 10 } },
      },
    });
    producer = medic.kafka.producer(EOS_PRODUCER);
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await medic?.stop();
  });

  async function decided(overrides: Parameters<typeof killReport>[0] = {}): Promise<{ killId: string; decision: DecisionMade['decision']; risk: RiskAssessed['assessment'] }> {
    const r = killReport(overrides);
    await medic.publishRaw(smithMessage(r), r.kill_id);
    const events = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'DecisionMade'), `the decision of ${r.kill_id}`);
    const made = events.find((e): e is KillEvent & DecisionMade => e.type === 'DecisionMade')!;
    const risk = events.find((e): e is KillEvent & RiskAssessed => e.type === 'RiskAssessed')!;
    return { killId: r.kill_id, decision: made.decision, risk: risk.assessment };
  }

  /** The outcome the monitor would record once the resurrection stayed up. */
  async function stayedUp(killId: string): Promise<void> {
    const outcome = { ...SAMPLE_EVENTS.OutcomeRecorded, killId, outcomeId: randomUUID(), at: new Date().toISOString(), result: 'success' as const };
    const env = newEnvelope('kill', outcome, { source: 'medic/test-monitor', subject: killId, time: outcome.at });
    await producer.send({ topic: medic.topics.kill, acks: -1, messages: [toKafkaMessage('kill', env)] });
  }

  const thresholds = async () => (await medic.call<Envelope<Thresholds>>('GET', '/config/thresholds')).body.data;

  it('raises the top of low risk after enough auto-approvals stayed up, decides by it, and moves nothing without new outcomes', async () => {
    // A kill at 0.42 is medium risk under the configured thresholds.
    const before = await decided({ target_module: 'edge-svc', confidence_score: 0.6 });
    expect(before.risk).toMatchObject({ score: 0.42, level: 'medium' });

    // Four demo kills (score 0.28), auto-approved; their resurrections all stayed up.
    const approved = await Promise.all([1, 2, 3, 4].map(() => decided()));
    for (const a of approved) expect(a.decision.outcome).toBe('approve_auto');
    for (const a of approved) await stayedUp(a.killId);

    const raised = await eventually(async () => {
      const now = await thresholds();
      return now.updated_by === 'learning' ? now : undefined;
    }, 'a recalibration', 30_000);
    expect(raised.thresholds).toEqual({ minimal: 0.2, low: 0.44, medium: 0.6, high: 0.8 });
    expect(raised.reason).toMatch(/^recalibrated from 4 outcomes: 0.4 → 0.44; 4 auto-approved resurrections with an outcome: 4 stayed up, 0 went wrong \(success rate 100 %\)/);

    // The kill workflow decides by it: the same kind of kill is low risk now.
    const after = await decided({ target_module: 'edge-svc', confidence_score: 0.6 });
    expect(after.risk).toMatchObject({ score: 0.42, level: 'low' });

    // Later analyses find no new outcome: nothing more moves.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const history = (await medic.call<Envelope<{ items: { changed_by: string }[] }>>('GET', '/config/thresholds/history')).body.data.items;
    expect(history.map((c) => c.changed_by)).toEqual(['learning']);
    const metrics = await (await fetch(medic.metricsUrl('learning'))).text();
    expect(metrics).toMatch(/medic_calibrations_total\{result="raised"[^}]*\} 1\n/);
    expect(metrics).toMatch(/medic_calibrations_total\{result="unchanged"[^}]*\} [1-9]/);

    // What the learning service and the kill workflow keep of it folds again from the log to the same rows.
    const snapshot = () =>
      snapshotTables(medic.databaseUrl, {
        outcomes: 'SELECT kill_id, approved_at, result, result_at FROM learning.auto_outcomes ORDER BY kill_id',
        recalibrations: 'SELECT * FROM learning.recalibrations',
        learning: 'SELECT * FROM learning.decision_thresholds',
        decision: 'SELECT * FROM decision.decision_thresholds',
      });
    const live = await snapshot();
    expect(live.outcomes).toHaveLength(4);
    expect(live.decision).toEqual(live.learning);
    const env = cliEnv(medic);
    const projections = ['learning.auto_outcomes', 'learning.recalibrations', 'learning.decision_thresholds', 'decision.workflow'].flatMap((p) => ['--projection', p]);
    await medicCli(['replay', 'rebuild', ...projections], { env });
    expect(await snapshot()).toEqual(live);
  });
});
