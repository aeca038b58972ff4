import { NO_BASELINE, scoreCheck, type CheckBaseline, type ContainerObservation, type ProbeObservation } from '@medic/domain';

/* One check of a resurrected module, scored: what each finding weighs alone and together. */

const running: ContainerObservation = { running: true, status: 'running', exitCode: null, oomKilled: false, restartCount: 2, startedAt: '2026-02-11T12:00:00.000Z', health: 'none' };
const seen: CheckBaseline = { restartCount: 2, startedAt: '2026-02-11T12:00:00.000Z', probeFailures: {} };
const probe = (ok: boolean, failureThreshold = 3, name = 'http http://127.0.0.1:8080/health'): ProbeObservation => ({
  name,
  ok,
  latencyMs: 3,
  detail: ok ? 'answered 200' : 'answered 404, expected 200',
  failureThreshold,
});

describe('scoreCheck', () => {
  it.each([
    ['a running container, probes passing', running, [probe(true)], seen, 0, true],
    ['the first check (it sets the baseline)', running, [], NO_BASELINE, 0, true],
    ['a healthcheck still starting', { ...running, health: 'starting' }, [], seen, 0, false],
    ['a healthy healthcheck', { ...running, health: 'healthy' }, [], seen, 0, true],
    ['exited with code 0', { ...running, running: false, status: 'exited', exitCode: 0 }, [], seen, 1, false],
    ['exited non-zero', { ...running, running: false, status: 'exited', exitCode: 137 }, [], seen, 1, false],
    ['OOM-killed', { ...running, running: false, status: 'exited', exitCode: 137, oomKilled: true }, [], seen, 1, false],
    ['restarted once by its policy', { ...running, restartCount: 3 }, [], seen, 0.4, false],
    ['restarted twice', { ...running, restartCount: 4 }, [], seen, 0.8, false],
    ['started again without the count moving', { ...running, startedAt: '2026-02-11T12:01:00.000Z' }, [], seen, 0.4, false],
    ['unhealthy by its healthcheck', { ...running, health: 'unhealthy' }, [], seen, 0.8, false],
    ['a probe failing once, counting from 3', running, [probe(false)], seen, 0.2, false],
    ['a probe failing a third time in a row', running, [probe(false)], { ...seen, probeFailures: { 'http http://127.0.0.1:8080/health': 2 } }, 0.8, false],
    ['a probe failing at once, counting from 1', running, [probe(false, 1)], seen, 0.8, false],
    ['a restart and a probe failing once', { ...running, restartCount: 3 }, [probe(false)], seen, 0.52, false],
    ['a failing probe beside a passing one', running, [probe(true), probe(false, 1, 'tcp 127.0.0.1:8080')], seen, 0.8, false],
  ] as const)('%s', (_label, container, probes, baseline, score, healthy) => {
    const scored = scoreCheck({ container, probes }, baseline);
    expect(scored.score).toBe(score);
    expect(scored.healthy).toBe(healthy);
  });

  it('scores a container that is gone 1, whatever the probes say', () => {
    expect(scoreCheck({ container: null, probes: [probe(true)] }, seen)).toMatchObject({ score: 1, healthy: false, findings: [{ code: 'container_gone' }] });
  });

  it('names each finding in words', () => {
    const { findings } = scoreCheck({ container: { ...running, running: false, status: 'exited', exitCode: 2, restartCount: 3 }, probes: [probe(false)] }, seen);
    expect(findings.map((f) => f.text)).toEqual([
      'not running (exited, exit code 2)',
      'restarted 1 time since monitoring began',
      'probe http http://127.0.0.1:8080/health failed once (it counts from 3): answered 404, expected 200',
    ]);
  });

  it('keeps the first restart count and start as the baseline, and counts probe failures in a row', () => {
    const first = scoreCheck({ container: running, probes: [probe(false)] }, NO_BASELINE);
    expect(first.baseline).toEqual({ restartCount: 2, startedAt: running.startedAt, probeFailures: { 'http http://127.0.0.1:8080/health': 1 } });
    const second = scoreCheck({ container: running, probes: [probe(false)] }, first.baseline);
    expect(second.baseline.probeFailures).toEqual({ 'http http://127.0.0.1:8080/health': 2 });
    const passed = scoreCheck({ container: running, probes: [probe(true)] }, second.baseline);
    expect(passed.baseline.probeFailures).toEqual({ 'http http://127.0.0.1:8080/health': 0 });
    expect(scoreCheck({ container: { ...running, restartCount: 5 }, probes: [] }, passed.baseline).restarts).toBe(3);
  });
});
