import { randomBytes } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { parseConfig, toPolicySettings, toRiskSettings } from '@medic/config';
import { decodeEvent } from '@medic/contracts';
import type { KillEvent, KillReport } from '@medic/domain';
import { header, newEnvelope, openDatabase, toKafkaMessage, type ProcessorBatch } from '@medic/eventlog';
import { createTestDatabase, testInfra } from '@medic/testing';
import { aReport } from '../../../libs/domain/test/domain-fixtures';
import { decideBatches, type DecisionSettings, type DecisionStepResult } from './decision-step';
import { DECISION_DDL } from './decision.schema';

const config = parseConfig(
  'mode:\n  current: semi_auto\ndecision:\n  auto_approve:\n    enabled: true\n    min_confidence: 0.5\nconstraints:\n  max_auto_resurrections_per_hour: 2\n',
);
const settings: DecisionSettings = { source: 'medic/decision', killEventsTopic: 'kills', policy: toPolicySettings(config), risk: toRiskSettings(config), historyDays: 30 };
const at = new Date('2026-02-11T12:00:00.000Z');

function reported(report: KillReport, offset: number, partition = 0): KafkaMessage {
  const env = newEnvelope(
    'kill',
    { type: 'KillReported', killId: report.killId, at: at.toISOString(), report, correlationId: null, replyTo: null, source: { topic: 'smith', partition, offset: String(offset) } },
    { source: 'medic/listener', subject: report.killId, time: at.toISOString() },
  );
  const m = toKafkaMessage('kill', env);
  return { key: m.key, value: m.value, headers: m.headers, offset: String(offset), timestamp: '0', attributes: 0 } as KafkaMessage;
}

function outputsOf(result: DecisionStepResult): KillEvent[] {
  return result.outputs[0]!.messages.map((m) => decodeEvent('kill', header(m.headers, 'ce_type')!, m.value as Buffer));
}

describe('decision step against real Postgres', () => {
  let ds: DataSource;

  beforeAll(async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_decide_${randomBytes(4).toString('hex')}`);
    ds = await openDatabase({ url, schema: 'decision', entities: [], ddl: DECISION_DDL });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const decide = (batch: ProcessorBatch, when = at) => ds.transaction(async (tx) => (await decideBatches([batch], tx, settings, () => when))[0]!);
  const lowRisk = (killId: string) => aReport({ killId, targetModule: `cache-${killId}`, severity: 'info', confidenceScore: 0.1 });

  it('spends the hourly auto budget across batches, then asks a human', async () => {
    const first = await decide({ topic: 'kills', partition: 0, messages: [reported(lowRisk('b-1'), 1), reported(lowRisk('b-2'), 2)] });
    expect(first.decisions.map((d) => d.event.decision.outcome)).toEqual(['approve_auto', 'approve_auto']);
    const next = await decide({ topic: 'kills', partition: 1, messages: [reported(lowRisk('b-3'), 1)] });
    const decision = next.decisions[0]!.event.decision;
    expect(decision.outcome).toBe('pending_review');
    expect(decision.reasoning.join(' ')).toMatch(/budget spent \(2 of 2\)/);
    expect(outputsOf(next).map((e) => e.type)).toEqual(['RiskAssessed', 'DecisionMade', 'ApprovalRequested']);

    // An hour later the budget is free again.
    const later = await decide({ topic: 'kills', partition: 1, messages: [reported(lowRisk('b-4'), 2)] }, new Date(at.getTime() + 3_601_000));
    expect(later.decisions[0]!.event.decision.outcome).toBe('approve_auto');
  });

  it('skips a repeated report and decides a redelivered one again without double counting', async () => {
    const report = aReport({ killId: 'r-1', targetModule: 'api-gw' });
    const once = await decide({ topic: 'kills', partition: 2, messages: [reported(report, 10)] });
    expect(once.decisions).toHaveLength(1);
    const repeat = await decide({ topic: 'kills', partition: 2, messages: [reported(report, 11)] });
    expect(repeat.decisions).toHaveLength(0);
    expect(repeat.duplicates).toEqual(['r-1']);
    const redelivered = await decide({ topic: 'kills', partition: 2, messages: [reported(report, 10)] });
    expect(redelivered.decisions).toHaveLength(1);

    const [history] = await ds.query<[{ kills: number }]>(`SELECT sum(kills)::int AS kills FROM decision.module_daily WHERE target_module = 'api-gw'`);
    expect(history.kills).toBe(1);
  });

  it('decides a round of partitions together: one budget, one history, outputs per partition', async () => {
    const when = new Date(at.getTime() + 7 * 3_600_000);
    const results = await ds.transaction((tx) =>
      decideBatches(
        [
          { topic: 'kills', partition: 0, messages: [reported(lowRisk('w-1'), 500), reported(lowRisk('w-2'), 501)] },
          { topic: 'kills', partition: 1, messages: [reported(lowRisk('w-3'), 500)] },
          { topic: 'kills', partition: 2, messages: [] },
        ],
        tx,
        settings,
        () => when,
      ),
    );
    expect(results.map((r) => r.decisions.map((d) => d.event.decision.outcome))).toEqual([['approve_auto', 'approve_auto'], ['pending_review'], []]);
    expect(results.map((r) => new Set(r.outputs[0]?.messages.map((m) => String(m.headers!['ce_subject']))))).toEqual([
      new Set(['w-1', 'w-2']),
      new Set(['w-3']),
      new Set(),
    ]);
  });

  it("counts a module's earlier kills as its history", async () => {
    await decide({ topic: 'kills', partition: 0, messages: [reported(aReport({ killId: 'h-1', targetModule: 'flappy' }), 100)] });
    const second = await decide({ topic: 'kills', partition: 1, messages: [reported(aReport({ killId: 'h-2', targetModule: 'flappy' }), 100)] });
    const risk = outputsOf(second).find((e) => e.type === 'RiskAssessed');
    const fp = risk?.type === 'RiskAssessed' ? risk.assessment.factors.find((f) => f.name === 'false_positive_history') : undefined;
    expect(fp?.explanation).not.toMatch(/no history/i);
  });
});
