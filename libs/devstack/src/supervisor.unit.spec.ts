import { type ExitStatus, type StackState } from './stack-state';
import { Supervisor } from './supervisor';
import { type RestartPolicy } from './supervision';
import { type RestartableServer, type ServerRun } from './types';
import { waitFor } from './wait';

/** A server in memory: each run ends when the test says, each restart succeeds or fails as scripted. */
class ScriptedServer implements RestartableServer {
  readonly logFile = '/logs/fake.log';
  private run: ServerRun & { end(exit: ExitStatus): void };
  private nextPid = 100;
  restartOutcomes: ('up' | 'fail')[] = [];
  /** Whether the run answers when asked (see `answers`); undefined: it cannot be asked. */
  answering: boolean | undefined = undefined;
  readonly asked: number[] = [];

  constructor() {
    this.run = this.newRun();
  }

  current(): ServerRun {
    return this.run;
  }

  die(exit: ExitStatus): void {
    this.run.end(exit);
  }

  get answers(): ((timeoutMs: number) => Promise<boolean>) | undefined {
    if (this.answering === undefined) return undefined;
    return () => {
      this.asked.push(this.run.pid);
      return Promise.resolve(this.answering!);
    };
  }

  restart(): Promise<void> {
    if (this.restartOutcomes.shift() === 'fail') return Promise.reject(new Error('not ready\nlong details'));
    this.run = this.newRun();
    return Promise.resolve();
  }

  private newRun(): ServerRun & { end(exit: ExitStatus): void } {
    let end!: (exit: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((resolve) => (end = resolve));
    return { pid: this.nextPid++, exited, end };
  }
}

const policy: RestartPolicy = {
  initialDelayMs: 1,
  maxDelayMs: 4,
  stableAfterMs: 60_000,
  maxFailuresInARow: 3,
  liveness: { intervalMs: 2, checkMs: 50, warnAfterMs: 10, serviceMs: 30, serverMs: 200, startMs: 100 },
};

/** `kill` ends the run, as SIGKILL would. */
function supervise(servers: readonly ScriptedServer[] = [], liveness: Partial<RestartPolicy['liveness']> = {}) {
  const lines: string[] = [];
  const states: StackState[] = [];
  const gaveUp: string[] = [];
  const killed: number[] = [];
  const kill = (run: ServerRun) => {
    killed.push(run.pid);
    servers.find((s) => s.current() === run)?.die({ code: null, signal: 'SIGKILL' });
  };
  const supervisor = new Supervisor({ log: (l) => lines.push(l), changed: (s) => states.push(s), gaveUp: (name, reason) => gaveUp.push(`${name}: ${reason}`) }, { ...policy, liveness: { ...policy.liveness, ...liveness } }, undefined, kill);
  const last = (name: string) => states.at(-1)?.processes.find((p) => p.name === name);
  const until = (condition: () => boolean) =>
    waitFor(() => (condition() ? Promise.resolve() : Promise.reject(new Error('not yet'))), { timeoutMs: 2_000, intervalMs: 1, onTimeout: () => new Error(`timed out; log: ${lines.join(' | ')}`) });
  return { supervisor, lines, gaveUp, killed, last, until };
}

describe('Supervisor', () => {
  it('restarts a process that died, says so, and reports it running again with one restart', async () => {
    const server = new ScriptedServer();
    const { supervisor, lines, last, until } = supervise();
    supervisor.watch('kafka', 'kafka', server);
    expect(last('kafka')).toMatchObject({ state: 'running', pid: 100, restarts: 0 });

    server.die({ code: null, signal: 'SIGKILL' });
    await until(() => last('kafka')?.pid === 101);
    expect(lines[0]).toMatch(/^kafka \(pid 100\) exited \(signal SIGKILL\); restarting it in 0\.0s \(failure 1 of 3 in a row; log: \/logs\/fake\.log\)$/);
    expect(lines[1]).toBe('kafka is back (pid 101).');
    expect(last('kafka')).toMatchObject({ state: 'running', restarts: 1, last_exit: { signal: 'SIGKILL' } });
    supervisor.stop();
  });

  it('counts restarts that do not come up as failures, and gives up after too many in a row', async () => {
    const server = new ScriptedServer();
    server.restartOutcomes = ['fail', 'fail', 'fail'];
    const { supervisor, lines, gaveUp, last, until } = supervise();
    supervisor.watch('listener', 'service', server);
    server.die({ code: 1, signal: null });
    await until(() => gaveUp.length > 0);
    expect(lines.slice(1)).toEqual(expect.arrayContaining([expect.stringMatching(/^listener did not come up \(not ready\); restarting it/)]));
    expect(gaveUp).toEqual(['listener: 4 failures in a row, the last: listener did not come up (not ready) (log: /logs/fake.log)']);
    expect(last('listener')).toMatchObject({ state: 'stopped', pid: null });
    supervisor.stop();
  });

  it('after stop() restarts nothing and reports every process stopped', async () => {
    const server = new ScriptedServer();
    const { supervisor, lines, last } = supervise();
    supervisor.watch('decision', 'service', server);
    supervisor.stop();
    server.die({ code: 0, signal: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([]);
    expect(last('decision')).toMatchObject({ state: 'stopped', pid: null, restarts: 0 });
  });

  it('kills a run that stops answering, says why, and starts it again', async () => {
    const server = new ScriptedServer();
    server.answering = true;
    const { supervisor, lines, killed, last, until } = supervise([server]);
    supervisor.watch('decision', 'service', server);
    await until(() => server.asked.length >= 1);
    server.answering = false;
    await until(() => last('decision')?.pid === 101);
    expect(killed).toEqual([100]);
    expect(lines[0]).toMatch(/^decision \(pid 100\) has not answered for \d+s; it is killed and started again if it stays silent for \d+s$/);
    expect(lines[1]).toMatch(/^decision \(pid 100\) has not answered for \d+s; killing it \(SIGKILL\) to start it again$/);
    expect(lines[2]).toMatch(/^decision \(pid 100\) exited \(signal SIGKILL: not answering for \d+s\); restarting it in/);
    expect(last('decision')).toMatchObject({ state: 'running', restarts: 1, last_exit: { signal: 'SIGKILL', reason: expect.stringMatching(/^not answering for \d+s$/) } });
    // The new run has not been silent.
    expect(last('decision')?.unanswered_since).toBeNull();
    supervisor.stop();
  });

  it('gives a run that has not answered yet its start time: silence counts from its first answer', async () => {
    const server = new ScriptedServer();
    server.answering = false;
    // Starting for longer than the 30 ms a service may be silent, within the 60 s it may take to start.
    const { supervisor, lines, killed, last, until } = supervise([server], { startMs: 60_000 });
    supervisor.watch('decision', 'service', server);
    await until(() => server.asked.length >= 40);
    expect(killed).toEqual([]);
    expect(lines).toEqual([]);
    expect(last('decision')).toMatchObject({ state: 'running', pid: 100, unanswered_since: null });
    // Once it has answered, the service limit holds.
    server.answering = true;
    await until(() => server.asked.length >= 42);
    expect(lines).toEqual([]);
    server.answering = false;
    await until(() => last('decision')?.pid === 101);
    expect(killed).toEqual([100]);
    expect(lines[0]).toMatch(/^decision \(pid 100\) has not answered for \d+s; it is killed/);
    supervisor.stop();
  });

  it('kills a run that never answers once its start time is over, says why, and starts it again', async () => {
    const server = new ScriptedServer();
    server.answering = false;
    const { supervisor, lines, killed, last, until } = supervise([server]);
    supervisor.watch('enrichment', 'service', server);
    await until(() => last('enrichment')?.pid === 101);
    expect(killed).toEqual([100]);
    expect(lines[0]).toMatch(/^enrichment \(pid 100\) has not answered since it started \d+s ago; killing it \(SIGKILL\) to start it again$/);
    expect(last('enrichment')).toMatchObject({ state: 'running', restarts: 1, last_exit: { signal: 'SIGKILL', reason: expect.stringMatching(/^no answer within \d+s of its start$/) } });
    supervisor.stop();
  });

  it('leaves alone a run that answers, and one that cannot be asked', async () => {
    const answering = new ScriptedServer();
    answering.answering = true;
    const unasked = new ScriptedServer();
    const { supervisor, killed, last, until } = supervise([answering, unasked]);
    supervisor.watch('kafka', 'kafka', answering);
    supervisor.watch('listener', 'service', unasked);
    // Well past both limits (30 and 200 ms), asked every 2 ms at most.
    await until(() => answering.asked.length >= 150);
    expect(killed).toEqual([]);
    expect(unasked.asked).toEqual([]);
    expect(last('kafka')).toMatchObject({ state: 'running', pid: 100, restarts: 0 });
    supervisor.stop();
  });

  it('says when a run has gone silent, and when it answers again, and shows since when in its state', async () => {
    const server = new ScriptedServer();
    server.answering = true;
    // A limit no pause of a busy test machine reaches: this run is never killed.
    const { supervisor, lines, killed, last, until } = supervise([server], { serverMs: 60_000 });
    supervisor.watch('kafka', 'kafka', server);
    await until(() => server.asked.length >= 2);
    expect(last('kafka')?.unanswered_since).toBeNull();
    server.answering = false;
    await until(() => lines.length >= 1);
    expect(lines).toEqual([expect.stringMatching(/^kafka \(pid 100\) has not answered for \d+s; it is killed and started again if it stays silent for 60s$/)]);
    const since = last('kafka')?.unanswered_since;
    expect(since).toEqual(expect.any(String));
    expect(Date.parse(since!)).toBeLessThanOrEqual(Date.now());
    // Told once per silence, however long it lasts below the limit.
    const asked = server.asked.length;
    await until(() => server.asked.length >= asked + 3);
    expect(lines).toHaveLength(1);
    server.answering = true;
    await until(() => lines.length >= 2);
    expect(lines[1]).toMatch(/^kafka \(pid 100\) answers again, after \d+s without an answer$/);
    expect(last('kafka')).toMatchObject({ state: 'running', pid: 100, restarts: 0, unanswered_since: null });
    expect(killed).toEqual([]);
    supervisor.stop();
  });

  it('counts silence from the last answer: a run that answers again is not killed', async () => {
    const server = new ScriptedServer();
    server.answering = true;
    const { supervisor, killed, until } = supervise([server]);
    supervisor.watch('postgres', 'postgres', server);
    for (let round = 0; round < 5; round++) {
      // Silent for less than the 200 ms limit, then answering again.
      server.answering = false;
      const before = server.asked.length;
      await until(() => server.asked.length >= before + 3);
      server.answering = true;
      const after = server.asked.length;
      await until(() => server.asked.length >= after + 2);
    }
    expect(killed).toEqual([]);
    supervisor.stop();
  });
});
