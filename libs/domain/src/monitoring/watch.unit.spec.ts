import {
  AUTO_ROLLBACK_ACTOR,
  closeStable,
  confirmStopped,
  evolveWatch,
  failedResurrectionOutcome,
  recordCheck,
  recordRekill,
  recordRollbackResult,
  rollbackUnderway,
  startWatch,
  type CheckObservation,
  type ContainerObservation,
  type KillEvent,
  type MonitorSettings,
  type ResurrectionFailed,
  type Watch,
} from '@medic/domain';

/* A resurrection watched from the module's return to its one outcome. */

const SETTINGS: MonitorSettings = { monitoringMs: 60_000, checkIntervalMs: 10_000, rekillWindowMs: 600_000, anomalyThreshold: 0.7, autoRollback: true, killReportGraceMs: 0 };
const up: ContainerObservation = { running: true, status: 'running', exitCode: null, oomKilled: false, restartCount: 0, startedAt: '2026-02-11T12:00:01.000Z', health: 'none' };
const clean: CheckObservation = { container: up, probes: [{ name: 'tcp 127.0.0.1:8080', ok: true, latencyMs: 2, detail: 'connected', failureThreshold: 3 }] };
const refused: CheckObservation = { container: up, probes: [{ name: 'tcp 127.0.0.1:8080', ok: false, latencyMs: 1, detail: 'connection refused', failureThreshold: 3 }] };
const exited: CheckObservation = { container: { ...up, running: false, status: 'exited', exitCode: 1 }, probes: [] };

const watch = (settings = SETTINGS): Watch =>
  startWatch(
    {
      killId: 'demo-1',
      requestId: 'req-1',
      decisionId: 'dec-1',
      targetModule: 'nginx-test',
      containerId: 'c-1',
      resurrectionStartedAt: '2026-02-11T12:00:00.000Z',
      monitoringStartedAt: '2026-02-11T12:00:01.000Z',
    },
    settings,
  );

const at = (seconds: number) => new Date(Date.parse('2026-02-11T12:00:01.000Z') + seconds * 1000).toISOString();

/**
 * Runs checks at the given seconds after the start of monitoring; returns the
 * watch, its verdicts (what was appended beside the checks themselves) and
 * everything appended.
 */
function checks(start: Watch, plan: readonly (readonly [number, CheckObservation])[], settings = SETTINGS): { watch: Watch; events: KillEvent[]; appended: KillEvent[] } {
  const appended: KillEvent[] = [];
  let w = start;
  plan.forEach(([seconds, observation], i) => {
    const step = recordCheck(w, observation, { at: at(seconds), outcomeId: `out-${i}` }, settings);
    w = step.watch;
    appended.push(...step.events);
  });
  return { watch: w, events: appended.filter((e) => e.type !== 'HealthChecked'), appended };
}

/** The watch folded again from its start and what was appended, as a rebuild does. */
const refold = (start: Watch, events: readonly KillEvent[], settings = SETTINGS): Watch => events.reduce((w, e) => evolveWatch(w, e, settings), start);

const everyTen = (observation: CheckObservation) => [0, 10, 20, 30, 40, 50, 60].map((s) => [s, observation] as const);

describe('a watch over one resurrection', () => {
  it('checks at once, then on the interval grid, skipping slots it missed, the last at the end of the window', () => {
    const w = watch();
    expect(w).toMatchObject({ phase: 'monitoring', dueAt: at(0), monitoringEndsAt: at(60) });
    expect(checks(w, [[0, clean]]).watch.dueAt).toBe(at(10));
    expect(checks(w, [[0, clean], [37.5, clean]]).watch.dueAt).toBe(at(40));
    expect(checks(w, [[0, clean], [55, clean]]).watch.dueAt).toBe(at(60));
  });

  it('confirms stability after a clean window, then records success once the re-kill window has passed', () => {
    const { watch: stable, events } = checks(watch(), [[0, refused], ...everyTen(clean).slice(1)]);
    expect(events).toEqual([
      {
        type: 'StabilityConfirmed',
        killId: 'demo-1',
        at: at(60),
        requestId: 'req-1',
        // From ResurrectionStarted (12:00:00) to the first healthy check (12:00:11).
        timeToStableSeconds: 11,
        metrics: expect.objectContaining({ checks_run: 7, restarts: 0, time_to_stable_seconds: 11, monitored_seconds: 60 }) as unknown,
      },
    ]);
    expect(stable).toMatchObject({ phase: 'stable', stableAt: at(60), dueAt: at(660) });
    const { events: closed } = closeStable(stable, { at: at(660), outcomeId: 'out-final' });
    expect(closed).toEqual([
      expect.objectContaining({
        type: 'OutcomeRecorded',
        outcomeId: 'out-final',
        requestId: 'req-1',
        decisionId: 'dec-1',
        result: 'success',
        timeToStableSeconds: 11,
        shouldAdjustThreshold: false,
        lessonsLearned: [],
        metrics: expect.objectContaining({ probes: { 'tcp 127.0.0.1:8080': { checks: 7, failures: 1, mean_latency_ms: 1.8571, max_latency_ms: 2 } } }) as unknown,
      }),
    ]);
  });

  it('records the outcome with StabilityConfirmed when there is no re-kill window', () => {
    const settings = { ...SETTINGS, rekillWindowMs: 0 };
    const { watch: closed, events } = checks(watch(settings), everyTen(clean), settings);
    expect(events.map((e) => e.type)).toEqual(['StabilityConfirmed', 'OutcomeRecorded']);
    expect(closed.phase).toBe('closed');
  });

  it('calls it a partial success when a check found something below the threshold after the module was healthy', () => {
    const { watch: stable } = checks(watch(), [...everyTen(clean).slice(0, 3), [30, refused], ...everyTen(clean).slice(4)]);
    const [outcome] = closeStable(stable, { at: at(660), outcomeId: 'o' }).events;
    expect(outcome).toMatchObject({ result: 'partial', lessonsLearned: ['after it was healthy: probe tcp 127.0.0.1:8080 failed once (it counts from 3): connection refused'] });
  });

  it('detects an anomaly at once, stops checking and, with automatic rollback, waits for the rollback', () => {
    const { watch: w, events } = checks(watch(), [[0, clean], [10, exited]]);
    expect(events).toEqual([{ type: 'AnomalyDetected', killId: 'demo-1', at: at(10), requestId: 'req-1', anomalyScore: 1, findings: ['not running (exited, exit code 1)'] }]);
    expect(w).toMatchObject({ phase: 'rolling_back', dueAt: null, rollback: { actor: AUTO_ROLLBACK_ACTOR, reason: 'anomaly score 1: not running (exited, exit code 1)' } });
    expect(recordCheck(w, clean, { at: at(20), outcomeId: 'o' }, SETTINGS).events).toEqual([]);
    expect(recordRollbackResult(w, { completed: true, reason: null }, { at: at(12), outcomeId: 'o-rb' }).events).toEqual([
      expect.objectContaining({ result: 'rollback', humanFeedback: null, shouldAdjustThreshold: true, lessonsLearned: ['rolled back by policy:auto-rollback: anomaly score 1: not running (exited, exit code 1)'] }),
    ]);
    expect(recordRollbackResult(w, { completed: false, reason: 'engine unreachable' }, { at: at(12), outcomeId: 'o-rb' }).events).toEqual([
      expect.objectContaining({ result: 'failure', lessonsLearned: expect.arrayContaining(['the rollback failed: engine unreachable']) as unknown }),
    ]);
  });

  it('counts a failing probe from its threshold: the third failure in a row is an anomaly', () => {
    const { events } = checks(watch(), [[0, clean], [10, refused], [20, refused], [30, refused]]);
    expect(events).toEqual([expect.objectContaining({ type: 'AnomalyDetected', at: at(30), anomalyScore: 0.8 })]);
  });

  it('leaves an anomaly to an operator when nothing rolls back on its own', () => {
    const settings = { ...SETTINGS, autoRollback: false };
    const { watch: w } = checks(watch(settings), [[0, exited]], settings);
    expect(w.phase).toBe('anomaly');
    const operator = rollbackUnderway(w, { actor: 'ops-console', reason: 'it keeps crashing' });
    expect(operator).toMatchObject({ phase: 'rolling_back', rollback: { actor: 'ops-console' } });
    expect(recordRollbackResult(operator, { completed: true, reason: null }, { at: at(30), outcomeId: 'o' }).events).toEqual([
      expect.objectContaining({ result: 'rollback', humanFeedback: 'ops-console: it keeps crashing' }),
    ]);
  });

  it('is an anomaly when no check in the window found the module healthy', () => {
    const { events } = checks(watch(), [[0, { ...clean, container: { ...up, health: 'starting' } }], [60, { ...clean, container: { ...up, health: 'starting' } }]]);
    expect(events).toEqual([expect.objectContaining({ type: 'AnomalyDetected', anomalyScore: 1, findings: ['no check in the 60s monitoring window found it healthy'] })]);
  });
});

describe('re-kills', () => {
  const rekill = (seconds: number) => ({ killId: 'demo-2', at: at(seconds), sourceAgent: 'smith' });
  const stable = checks(watch(), everyTen(clean)).watch;

  it.each([
    ['while monitored', checks(watch(), [[0, clean]]).watch, 5],
    ['while an anomaly waits for an operator', checks(watch({ ...SETTINGS, autoRollback: false }), [[0, exited]], { ...SETTINGS, autoRollback: false }).watch, 5],
    ['stable, within the re-kill window', stable, 660],
  ] as const)('closes the earlier resurrection as re_killed %s', (_label, w, seconds) => {
    const step = recordRekill(w, rekill(seconds), { at: at(seconds), outcomeId: 'o-rk' }, SETTINGS);
    expect(step.events).toEqual([
      expect.objectContaining({ type: 'OutcomeRecorded', killId: 'demo-1', result: 're_killed', timeToStableSeconds: null, shouldAdjustThreshold: true, lessonsLearned: [`killed again by smith (kill demo-2) ${seconds}s after the module was back`] }),
    ]);
    expect(step.watch).toMatchObject({ phase: 'closed', outcome: { result: 're_killed' } });
  });

  it.each([
    ['after the re-kill window', stable, rekill(661)],
    ['while a rollback is under way (its result is the outcome)', checks(watch(), [[0, exited]]).watch, rekill(5)],
    ['once closed', closeStable(stable, { at: at(660), outcomeId: 'o' }).watch, rekill(600)],
    ['for the same kill', checks(watch(), [[0, clean]]).watch, { ...rekill(5), killId: 'demo-1' }],
  ] as const)('changes nothing %s', (_label, w, kill) => {
    expect(recordRekill(w, kill, { at: kill.at, outcomeId: 'o' }, SETTINGS)).toEqual({ watch: w, events: [] });
  });

  describe('of a module found stopped before its kill was reported', () => {
    // Smith stops the module, then reports the kill: the check may see it stopped first.
    const settings = { ...SETTINGS, killReportGraceMs: 5_000 };
    const found = checks(watch(settings), [[0, clean], [10, exited]], settings);

    it('waits the grace for the report, checking no more, with nothing appended but the check', () => {
      expect(found.events).toEqual([]);
      expect(found.appended.map((e) => e.type)).toEqual(['HealthChecked', 'HealthChecked']);
      expect(found.watch).toMatchObject({ phase: 'stopped', dueAt: at(15), anomaly: { score: 1, findings: ['not running (exited, exit code 1)'] } });
      expect(recordCheck(found.watch, clean, { at: at(12), outcomeId: 'o' }, settings).events).toEqual([]);
      expect(refold(watch(settings), found.appended, settings)).toEqual(found.watch);
    });

    it('closes the resurrection as re_killed when the report comes in the grace', () => {
      const step = recordRekill(found.watch, rekill(10.4), { at: at(10.4), outcomeId: 'o-rk' }, settings);
      expect(step.events).toEqual([expect.objectContaining({ type: 'OutcomeRecorded', result: 're_killed', lessonsLearned: ['killed again by smith (kill demo-2) 10.4s after the module was back'] })]);
      expect(confirmStopped(step.watch, { at: at(15), outcomeId: 'o' }, settings).events).toEqual([]);
    });

    it('makes what the check found the anomaly once the grace is over with no report, rolled back as any other', () => {
      const step = confirmStopped(found.watch, { at: at(15), outcomeId: 'o' }, settings);
      expect(step.events).toEqual([{ type: 'AnomalyDetected', killId: 'demo-1', at: at(15), requestId: 'req-1', anomalyScore: 1, findings: ['not running (exited, exit code 1)'] }]);
      expect(step.watch).toMatchObject({ phase: 'rolling_back', rollback: { actor: AUTO_ROLLBACK_ACTOR } });
      expect(refold(watch(settings), [...found.appended, ...step.events], settings)).toEqual(step.watch);
      // A report after that is the rollback's business.
      expect(recordRekill(step.watch, rekill(16), { at: at(16), outcomeId: 'o' }, settings).events).toEqual([]);
    });

    it('does not wait for a container the kernel killed for memory, or for a probe failing on a running one', () => {
      const oom: CheckObservation = { container: { ...up, running: false, status: 'exited', exitCode: 137, oomKilled: true }, probes: [] };
      expect(checks(watch(settings), [[0, oom]], settings).events).toEqual([expect.objectContaining({ type: 'AnomalyDetected' })]);
      expect(checks(watch(settings), [[0, refused], [10, refused], [20, refused]], settings).events).toEqual([expect.objectContaining({ type: 'AnomalyDetected' })]);
      expect(checks(watch(settings), [[0, { container: null, probes: [] }]], settings).watch.phase).toBe('stopped');
    });
  });

  it('gives a closed watch no second outcome from a rollback', () => {
    const closed = recordRekill(checks(watch(), [[0, clean]]).watch, rekill(5), { at: at(5), outcomeId: 'o' }, SETTINGS).watch;
    expect(recordRollbackResult(closed, { completed: true, reason: null }, { at: at(6), outcomeId: 'o2' }).events).toEqual([]);
    expect(rollbackUnderway(closed, { actor: 'ops', reason: 'x' })).toBe(closed);
  });
});

describe('a watch folded from the log', () => {
  it('appends each check as HealthChecked with what it saw, verdicts after it', () => {
    const { appended } = checks(watch(), [[0, clean], [10, exited]]);
    expect(appended.map((e) => e.type)).toEqual(['HealthChecked', 'HealthChecked', 'AnomalyDetected']);
    expect(appended[1]).toEqual({ type: 'HealthChecked', killId: 'demo-1', at: at(10), requestId: 'req-1', ...exited });
  });

  it.each([
    ['a clean window, then success', SETTINGS, everyTen(clean), (w: Watch) => closeStable(w, { at: at(660), outcomeId: 'o-end' })],
    ['no re-kill window', { ...SETTINGS, rekillWindowMs: 0 }, everyTen(clean), null],
    ['an anomaly rolled back automatically', SETTINGS, [[0, clean], [10, exited]] as const, (w: Watch) => recordRollbackResult(w, { completed: true, reason: null }, { at: at(12), outcomeId: 'o-rb' })],
    ['an anomaly waiting for an operator, then a re-kill', { ...SETTINGS, autoRollback: false }, [[0, clean], [10, refused], [20, exited]] as const, (w: Watch) => recordRekill(w, { killId: 'k2', at: at(30), sourceAgent: 'smith' }, { at: at(30), outcomeId: 'o-rk' }, { ...SETTINGS, autoRollback: false })],
    ['a probe failing three times', SETTINGS, [[0, clean], [10, refused], [20, refused], [30, refused]] as const, null],
  ] as const)('folds back to the very watch the checks made: %s', (_label, settings, plan, finish) => {
    const start = watch(settings);
    const run = checks(start, plan, settings);
    const last = finish ? finish(run.watch) : { watch: run.watch, events: [] };
    const appended = [...run.appended, ...last.events];
    expect(refold(start, appended, settings)).toEqual(last.watch);
  });

  it('counts a check that crossed an operator rollback the same in either order', () => {
    const checked = checks(watch(), [[0, clean]]);
    const [check] = checks(checked.watch, [[10, refused]]).appended;
    const rollback: KillEvent = { type: 'RollbackRequested', killId: 'demo-1', at: at(11), requestId: 'req-1', actor: 'ops', reason: 'looks off', commandId: 'cmd-1' };
    const start = watch();
    const checkFirst = refold(start, [...checked.appended, check!, rollback]);
    const rollbackFirst = refold(start, [...checked.appended, rollback, check!]);
    expect(rollbackFirst).toEqual(checkFirst);
    expect(checkFirst).toMatchObject({ phase: 'rolling_back', dueAt: null, checks: 2, rollback: { actor: 'ops' } });
  });
});

describe('a resurrection that never came back', () => {
  const kill = { killId: 'demo-1', decisionId: 'dec-1', targetModule: 'payments-api' };
  const ctx = { at: '2026-02-11T12:00:09.000Z', outcomeId: 'out-1' };
  const failure: ResurrectionFailed = {
    type: 'ResurrectionFailed',
    killId: 'demo-1',
    at: '2026-02-11T12:00:08.000Z',
    requestId: 'req-3',
    reason: 'the engine refused the start: port 8080 is taken',
    retriable: false,
    targetModule: 'payments-api',
    approvedBy: 'policy:auto-approve',
    attempt: 3,
  };

  it('records failure once the executor will not try again, blaming the execution, not the judgement', () => {
    expect(failedResurrectionOutcome(kill, failure, ctx)).toEqual({
      type: 'OutcomeRecorded',
      killId: 'demo-1',
      at: ctx.at,
      outcomeId: 'out-1',
      requestId: 'req-3',
      decisionId: 'dec-1',
      result: 'failure',
      timeToStableSeconds: null,
      metrics: { attempts: 3, failed_at: failure.at },
      smithFeedback: null,
      humanFeedback: null,
      lessonsLearned: ['the resurrection failed at attempt 3 and will not be tried again: the engine refused the start: port 8080 is taken'],
      shouldAdjustThreshold: false,
      targetModule: 'payments-api',
    });
  });

  it('names a request refused before any attempt', () => {
    const refused = { ...failure, attempt: null, reason: 'module payments-api is blacklisted' };
    expect(failedResurrectionOutcome(kill, refused, ctx)?.lessonsLearned).toEqual(['the resurrection failed before any attempt and will not be tried again: module payments-api is blacklisted']);
  });

  it('waits for the next attempt after a failure the executor will try again', () => {
    expect(failedResurrectionOutcome(kill, { ...failure, retriable: true, attempt: 1 }, ctx)).toBeNull();
  });
});
