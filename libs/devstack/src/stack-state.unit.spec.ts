import { describeExit, processDown, processStopped, processUnanswered, processUp, stackStateSchema } from './stack-state';

const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 9, 0, s));
const kafka = { name: 'kafka', kind: 'kafka', pid: 100, logFile: '/x/broker.log' } as const;

describe('stack process state', () => {
  it('a first start is running with no restarts and no exit', () => {
    expect(processUp(undefined, kafka, t(0))).toEqual({
      name: 'kafka',
      kind: 'kafka',
      state: 'running',
      pid: 100,
      restarts: 0,
      since: t(0).toISOString(),
      last_exit: null,
      unanswered_since: null,
      log_file: '/x/broker.log',
    });
  });

  it('a silence is shown from the last answer until it answers again, dies or is stopped', () => {
    const silent = processUnanswered(processUp(undefined, kafka, t(0)), t(20));
    expect(silent).toMatchObject({ state: 'running', pid: 100, unanswered_since: t(20).toISOString() });
    expect(processUnanswered(silent, null).unanswered_since).toBeNull();
    expect(processDown(silent, { code: null, signal: 'SIGKILL', reason: 'not answering for 60s' }, t(80)).unanswered_since).toBeNull();
    expect(processStopped(silent, t(30)).unanswered_since).toBeNull();
  });

  it('reads a state file written before silences were shown', () => {
    const { unanswered_since: _absent, ...older } = processUp(undefined, kafka, t(0));
    expect(stackStateSchema.parse({ supervisor_pid: 1, updated_at: t(0).toISOString(), processes: [older] }).processes[0]?.unanswered_since).toBeNull();
  });

  it('a death makes it restarting with the exit kept; coming back counts one restart', () => {
    const down = processDown(processUp(undefined, kafka, t(0)), { code: null, signal: 'SIGKILL' }, t(5));
    expect(down).toMatchObject({ state: 'restarting', pid: null, since: t(5).toISOString(), last_exit: { code: null, signal: 'SIGKILL', at: t(5).toISOString() } });

    const failedAgain = processDown(down, { code: null, signal: null, reason: 'not ready' }, t(7));
    expect(failedAgain).toMatchObject({ since: t(5).toISOString(), last_exit: { reason: 'not ready' } });

    const back = processUp(failedAgain, { ...kafka, pid: 200 }, t(9));
    expect(back).toMatchObject({ state: 'running', pid: 200, restarts: 1, last_exit: { reason: 'not ready' } });
    expect(processUp(back, { ...kafka, pid: 201 }, t(10)).restarts).toBe(1);
  });

  it('stopped has no pid, and the result always fits the schema the gateway reads', () => {
    const stopped = processStopped(processUp(undefined, kafka, t(0)), t(3));
    expect(stopped).toMatchObject({ state: 'stopped', pid: null });
    expect(stackStateSchema.parse({ supervisor_pid: 1, updated_at: t(3).toISOString(), processes: [stopped] }).processes).toEqual([stopped]);
  });

  it('describes an exit by its signal, else its code, else the reason', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
    expect(describeExit({ code: 1, signal: null })).toBe('code 1');
    expect(describeExit({ code: null, signal: null, reason: 'its pid is gone' })).toBe('its pid is gone');
    expect(describeExit({ code: null, signal: 'SIGKILL', reason: 'not answering for 30s' })).toBe('signal SIGKILL: not answering for 30s');
  });
});
