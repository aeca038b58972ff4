import type { DecisionMade, KillEvent } from '@medic/domain';
import { killEventsOf, killReport, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';

/*
 * A SIEM is configured but no context comes (the enrichment service is not
 * running): every kill is still decided, right after its deadline, marked
 * degraded and never auto-approved, and the deadline fires once, whether the
 * listener gave the report its deadline or the workflow did.
 */
describe('deciding without the SIEM once its deadline passes', () => {
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({
      services: ['listener', 'decision'],
      config: {
        mode: { current: 'semi_auto' },
        siem: { enabled: true, timeout_seconds: 1 },
        decision: { auto_approve: { enabled: true } },
      },
    });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  /** The kill's events once it is decided, checked as every kill decided without its context must be. */
  async function decidedDegraded(killId: string, sentAt: number): Promise<KillEvent[]> {
    const events = await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'DecisionMade'), `a decision for ${killId}`, 30_000);
    const enriched = events.find((e): e is Extract<KillEvent, { type: 'ContextEnriched' }> => e.type === 'ContextEnriched')!;
    expect(enriched).toMatchObject({ siemStatus: 'unavailable', failureReason: expect.stringContaining('deadline') as unknown });
    // Deadline = 1 s timeout + 2 s margin; decided within a few seconds of it.
    expect(Date.parse(enriched.at) - sentAt).toBeLessThan(15_000);
    const decision = (events.find((e) => e.type === 'DecisionMade') as DecisionMade).decision;
    expect(decision).toMatchObject({ siemStatus: 'unavailable', autoApproveEligible: false });
    expect(decision.outcome).not.toBe('approve_auto');
    expect(decision.reasoning.join(' ')).toMatch(/SIEM was unavailable/);
    expect(events.filter((e) => e.type === 'ContextEnriched')).toHaveLength(1);
    return events;
  }

  it('decides each kill degraded after the deadline its report carries, never auto-approved', async () => {
    // The reboot plan's demo kill: auto-approved when no SIEM is configured, not when the configured one is silent.
    const reports = [killReport(), killReport({ confidence_score: 0.1, severity: 'info' })];
    const sentAt = Date.now();
    for (const r of reports) await medic.publishRaw(smithMessage(r), r.kill_id);
    for (const r of reports) {
      const events = await decidedDegraded(r.kill_id, sentAt);
      // The listener gave the report its deadline: the workflow appended nothing while the kill waited.
      expect(events.slice(0, 4).map((e) => e.type)).toEqual(['KillReported', 'ContextEnriched', 'RiskAssessed', 'DecisionMade']);
      const reported = events[0] as Extract<KillEvent, { type: 'KillReported' }>;
      expect(Date.parse(reported.enrichmentDeadline!) - Date.parse(reported.at)).toBe(3_000);
      expect(Date.parse(events[1]!.at)).toBeGreaterThanOrEqual(Date.parse(reported.enrichmentDeadline!));
    }
  });

  it('gives a kill taken in without a SIEM its deadline in the workflow, which has one', async () => {
    // A listener configured without the SIEM (MEDIC_SIEM_ENABLED over the shared file), as during a rollout of the setting.
    await medic.service('listener').stop();
    await medic.start('listener', { MEDIC_SIEM_ENABLED: 'false' });
    const report = killReport();
    const sentAt = Date.now();
    await medic.publishRaw(smithMessage(report), report.kill_id);
    const events = await decidedDegraded(report.kill_id, sentAt);
    expect(events.slice(0, 5).map((e) => e.type)).toEqual(['KillReported', 'EnrichmentRequested', 'ContextEnriched', 'RiskAssessed', 'DecisionMade']);
    expect(events[0]).toMatchObject({ enrichmentDeadline: null });
    const requested = events[1] as Extract<KillEvent, { type: 'EnrichmentRequested' }>;
    expect(Date.parse(requested.deadline) - Date.parse(requested.at)).toBe(3_000);
    expect(Date.parse(events[2]!.at)).toBeGreaterThanOrEqual(Date.parse(requested.deadline));
  });
});
