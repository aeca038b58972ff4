import type { KillEvent } from '@medic/domain';
import { SAMPLE_EVENTS } from '../../../libs/domain/test/kill-event-samples';
import { loggedKillEvent } from '../../../libs/eventlog/test/logged-events';
import { formatTimeline } from './timeline';

const logged = (data: KillEvent, offset: number) => loggedKillEvent(data, offset);

describe('formatTimeline', () => {
  it("shows other people's text on its own line, with control characters and half characters escaped", () => {
    const forged = 'still hostile\n2026-02-11T12:00:09.000Z  ApprovalGranted        approved by admin\u001b[2J\r\u0007 \ud800';
    const events = [SAMPLE_EVENTS.KillReported, { ...SAMPLE_EVENTS.ResurrectionVetoed, reason: forged, newEvidence: ['dns\u001bc2'] }].map(logged);
    const text = formatTimeline('demo-1', events);
    const lines = text.split('\n');
    expect(lines.filter((l) => /^\d{4}-/.test(l))).toHaveLength(2);
    // eslint-disable-next-line no-control-regex -- the control characters are what must not be there
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\ud800-\udfff]/);
    expect(text).toContain('still hostile\\u000a2026-02-11T12:00:09.000Z  ApprovalGranted        approved by admin\\u001b[2J\\u000d\\u0007 \\ud800');
  });

  it('names a record it could not decode where it stands in the log, between the events around it', () => {
    const events = [logged(SAMPLE_EVENTS.KillReported, 3), logged(SAMPLE_EVENTS.DecisionMade, 12)];
    const text = formatTimeline('demo-1', events, [{ topic: 'medic.kill.events', partition: 0, offset: '7', code: 'undecodable', reason: 'bad\u0000bytes' }]);
    const order = text.split('\n').flatMap((l) => (l.startsWith('  unreadable record') ? ['unreadable'] : /^\d{4}-/.test(l) ? [l.split(/\s+/)[1]] : []));
    expect(order).toEqual(['KillReported', 'unreadable', 'DecisionMade']);
    expect(text).toContain('  unreadable record medic.kill.events/0@7 (undecodable): bad\\u0000bytes');
    expect(text.split('\n')[0]).toBe('Timeline of kill demo-1 (2 events, 1 unreadable, from the log)');
  });

  it('keeps printable text, whole surrogate pairs included, as it is', () => {
    const text = formatTimeline('demo-1', [logged({ ...SAMPLE_EVENTS.ApprovalDenied, reason: 'hash matches implant 🚀 — ünïcödé' }, 1)]);
    expect(text).toContain('denied by bob at 2026-02-11T12:00:10.000Z: hash matches implant 🚀 — ünïcödé');
  });

  it("tells Smith's own answer from the configured default when Smith stayed silent", () => {
    const text = (e: KillEvent) => formatTimeline('demo-1', [logged(e, 1)]);
    expect(text(SAMPLE_EVENTS.VetoCleared)).toContain('Smith cleared the resurrection: Smith agrees');
    expect(text({ ...SAMPLE_EVENTS.VetoCleared, basis: 'timeout_default', reason: 'Smith did not answer notice req-1 within 10 s' })).toContain(
      'the resurrection proceeds by the configured default (timeout_default): Smith did not answer notice req-1 within 10 s',
    );
    expect(text(SAMPLE_EVENTS.ResurrectionVetoed)).toContain('Smith vetoed: still hostile');
    expect(text({ ...SAMPLE_EVENTS.ResurrectionVetoed, basis: 'timeout_default', reason: 'no answer' })).toContain('the resurrection is called off by the configured default (timeout_default): no answer');
  });

  it("says what Smith reported: the kill's time, correlation, signer, evidence, dependents and metadata", () => {
    const report = { ...SAMPLE_EVENTS.KillReported.report, evidence: ['unusual_traffic', 'beacon\u001b[2J'], dependencies: ['api-svc'], metadata: { region: 'eu-1' } };
    const text = formatTimeline('demo-1', [logged({ ...SAMPLE_EVENTS.KillReported, report }, 0)]);
    expect(text).toContain("Smith's report: killed at 2026-02-11T12:00:00.000Z, correlation corr-1, answers on medic.responses, signed by smith-1");
    expect(text).toContain('evidence: unusual_traffic\n');
    expect(text).toContain('evidence: beacon\\u001b[2J');
    expect(text).toContain('modules depending on it: api-svc');
    expect(text).toContain('metadata: region="eu-1"');
    expect(formatTimeline('demo-1', [logged({ ...SAMPLE_EVENTS.KillReported, signedBy: null }, 0)])).toMatch(/answers on medic.responses, unsigned/);
  });

  it("names the version of Smith's message and the fields a later minor version added that were left out", () => {
    const text = formatTimeline('demo-1', [logged(SAMPLE_EVENTS.KillReported, 0)]);
    expect(text).toContain('signed by smith-1, message version 1.2\n');
    expect(text).toContain('left out, unknown to this Medic (added by version 1.2): priority, payload.blast_radius');
    // An event from before the version was kept says nothing of either.
    const older = formatTimeline('demo-1', [logged({ ...SAMPLE_EVENTS.KillReported, smithVersion: null, ignoredFields: [] }, 0)]);
    expect(older).toContain('signed by smith-1\n');
    expect(older).not.toContain('left out');
  });

  it('names the decision, when a human answered, and what the outcome taught', () => {
    const text = (e: KillEvent) => formatTimeline('demo-1', [logged(e, 1)]);
    expect(text(SAMPLE_EVENTS.DecisionMade)).toMatch(/\(decision dec-1\)/);
    expect(text({ ...SAMPLE_EVENTS.ApprovalGranted, at: '2026-02-11T12:00:03.000Z', notes: 'ok' })).toContain('approved by alice at 2026-02-11T12:00:03.000Z: ok');
    expect(text(SAMPLE_EVENTS.ApprovalDenied)).toMatch(/denied by bob at \S+: looks hostile/);
    expect(text(SAMPLE_EVENTS.ApprovalExpired)).toMatch(/approval expired at \S+: no one answered in time/);
    const rekilled = text({ ...SAMPLE_EVENTS.OutcomeRecorded, result: 're_killed', lessonsLearned: ['killed again by smith (kill demo-2) 5s after the module was back'], humanFeedback: 'flaky' });
    expect(rekilled).toContain('lesson: killed again by smith (kill demo-2) 5s after the module was back');
    expect(rekilled).toContain('human feedback: flaky');
  });

  it('marks a SIEM answer that came after the first one, or after the decision, as not what the decision weighed', () => {
    const unavailable = { ...SAMPLE_EVENTS.ContextEnriched, siemStatus: 'unavailable', failureReason: 'no SIEM context by the deadline' } as const;
    const lines = formatTimeline('demo-1', [
      logged(SAMPLE_EVENTS.KillReported, 0),
      logged(unavailable, 1),
      logged(SAMPLE_EVENTS.DecisionMade, 2),
      logged(SAMPLE_EVENTS.ContextEnriched, 3),
    ])
      .split('\n')
      .filter((l) => l.includes(' ContextEnriched '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/SIEM unavailable: no SIEM context by the deadline {2}\[/);
    expect(lines[1]).toMatch(/SIEM used: [^[]*\(came after the decision; not used: the kill's first SIEM context is the one that counts\) {2}\[/);
    // Two answers before any decision: the second is still not the one weighed.
    const twice = formatTimeline('demo-1', [logged(SAMPLE_EVENTS.ContextEnriched, 1), logged(SAMPLE_EVENTS.ContextEnriched, 2)]);
    expect(twice.match(/\(not used: the kill's first SIEM context is the one that counts\)/g)).toHaveLength(1);
    expect(twice).not.toContain('came after the decision');
  });

  it('says what the SIEM recommended, each indicator it weighed and what of its answer it ignored', () => {
    const indicator = { indicatorType: 'ip', value: '203.0.113.66', threatScore: 0.95, source: 'abuse-feed', lastSeen: '2026-02-11T11:00:00.000Z', tags: ['c2', 'botnet'] };
    const enriched = { ...SAMPLE_EVENTS.ContextEnriched, recommendation: 'keep down', threatIndicators: [indicator], ignoredFields: ['threat.indicator.score of hit 3: 95 is outside 0-1'] } as const;
    const text = formatTimeline('demo-1', [logged(enriched, 1)]);
    expect(text).toContain('      SIEM recommends: keep down\n');
    expect(text).toContain('      indicator: ip 203.0.113.66 (score 0.95, abuse-feed, last seen 2026-02-11T11:00:00.000Z, tags c2, botnet)');
    expect(text).toContain('      ignored: threat.indicator.score of hit 3: 95 is outside 0-1');
  });
});
