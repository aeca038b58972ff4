import type { DecisionMade, KillEvent } from '@medic/domain';
import { killEventsOf, killReport, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';

/*
 * A SIEM is configured but no context comes (the enrichment service is not
 * running): every kill is still decided, right after its deadline, marked
 * degraded and never auto-approved, and the deadline fires once.
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

  it('decides each kill degraded after the deadline, never auto-approved', async () => {
    // The reboot plan's demo kill: auto-approved when no SIEM is configured, not when the configured one is silent.
    const reports = [killReport(), killReport({ confidence_score: 0.1, severity: 'info' })];
    const sentAt = Date.now();
    for (const r of reports) await medic.publishRaw(smithMessage(r), r.kill_id);
    for (const r of reports) {
      const events = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'DecisionMade'), `a decision for ${r.kill_id}`, 30_000);
      const types = events.map((e) => e.type);
      expect(types.slice(0, 5)).toEqual(['KillReported', 'EnrichmentRequested', 'ContextEnriched', 'RiskAssessed', 'DecisionMade']);
      const requested = events.find((e): e is Extract<KillEvent, { type: 'EnrichmentRequested' }> => e.type === 'EnrichmentRequested')!;
      const enriched = events.find((e): e is Extract<KillEvent, { type: 'ContextEnriched' }> => e.type === 'ContextEnriched')!;
      expect(enriched).toMatchObject({ siemStatus: 'unavailable', failureReason: expect.stringContaining('deadline') as unknown });
      expect(Date.parse(enriched.at)).toBeGreaterThanOrEqual(Date.parse(requested.deadline));
      // Deadline = 1 s timeout + 2 s margin; decided within a few seconds of it.
      expect(Date.parse(enriched.at) - sentAt).toBeLessThan(15_000);
      const decision = (events.find((e) => e.type === 'DecisionMade') as DecisionMade).decision;
      expect(decision).toMatchObject({ siemStatus: 'unavailable', autoApproveEligible: false });
      expect(decision.outcome).not.toBe('approve_auto');
      expect(decision.reasoning.join(' ')).toMatch(/SIEM was unavailable/);
      expect(types.filter((t) => t === 'ContextEnriched')).toHaveLength(1);
    }
  });
});
