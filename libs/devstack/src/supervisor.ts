import { setTimeout as delay } from 'node:timers/promises';
import { messageOf } from './errors';
import { describeExit, processDown, processStopped, processUnanswered, processUp, type ExitStatus, type StackProcess, type StackProcessKind, type StackState } from './stack-state';
import { afterFailure, DEFAULT_RESTART_POLICY, unresponsiveLimitMs, type RestartPolicy } from './supervision';
import { type RestartableServer, type ServerRun } from './types';
import { withTimeout } from './wait';

export interface SupervisorEvents {
  /** A line for the human running the stack. */
  log(line: string): void;
  /** The state of every process, after each change. */
  changed(state: StackState): void;
  /** A process failed too often in a row; the supervisor has stopped watching it. */
  gaveUp(name: string, reason: string): void;
}

/** Watches one run for answers (see `LivenessPolicy`); `verdict` is set once it killed the run. */
interface LivenessGuard {
  stop(): void;
  readonly verdict: string | null;
}

/**
 * Watches the processes of a stack and starts again the ones that die, with the backoff of
 * `afterFailure`, and kills the ones that stop answering, to start them again the same way.
 * It never stops a process otherwise: the owner stops the stack after `stop()`.
 */
export class Supervisor {
  private readonly processes = new Map<string, StackProcess>();
  private readonly sleeping = new Set<AbortController>();
  private stopping = false;

  constructor(
    private readonly events: SupervisorEvents,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    private readonly now: () => Date = () => new Date(),
    private readonly kill: (run: ServerRun) => void = (run) => (run.killOutright ? run.killOutright() : process.kill(run.pid, 'SIGKILL')),
  ) {}

  /** Starts watching `server`, which is up now. */
  watch(name: string, kind: StackProcessKind, server: RestartableServer): void {
    this.update(processUp(undefined, { name, kind, pid: server.current().pid, logFile: server.logFile }, this.now()));
    void this.keepAlive(name, kind, server);
  }

  /** No more restarts; every process is reported stopped. Call before stopping them. */
  stop(): void {
    this.stopping = true;
    for (const sleep of this.sleeping) sleep.abort();
    const at = this.now();
    for (const proc of [...this.processes.values()]) this.processes.set(proc.name, processStopped(proc, at));
    this.emit();
  }

  private async keepAlive(name: string, kind: StackProcessKind, server: RestartableServer): Promise<void> {
    let failures = 0;
    for (;;) {
      const upSince = this.now().getTime();
      const run = server.current();
      const guard = this.guard(name, kind, server, run);
      const ended = await run.exited;
      guard.stop();
      if (this.stopping) return;
      const exit = guard.verdict === null ? ended : { ...ended, reason: guard.verdict };
      this.down(name, exit);
      const restarted = await this.restart(name, server, failures, this.now().getTime() - upSince, exit);
      if (restarted === undefined) return;
      failures = restarted;
      const pid = server.current().pid;
      this.update(processUp(this.processes.get(name), { name, kind, pid, logFile: server.logFile }, this.now()));
      this.events.log(`${name} is back (pid ${pid}).`);
    }
  }

  /**
   * Asks the run, while it lasts, whether it answers; one that has not answered
   * for its kind's limit is killed, and its exit is then a death like any other.
   */
  private guard(name: string, kind: StackProcessKind, server: RestartableServer, run: ServerRun): LivenessGuard {
    const state = { stopped: false, verdict: null as string | null };
    const guard: LivenessGuard = {
      stop: () => {
        state.stopped = true;
      },
      get verdict() {
        return state.verdict;
      },
    };
    if (!server.answers) return guard;
    const ask = server.answers.bind(server);
    const { liveness } = this.policy;
    const limitMs = unresponsiveLimitMs(liveness, kind);
    const limit = `${Math.round(limitMs / 1000)}s`;
    void (async () => {
      const startedAt = this.now().getTime();
      // Null until the run's first answer: it is starting, and only `startMs` bounds that.
      let answeredAt: number | null = null;
      let told = false;
      while ((await this.sleep(liveness.intervalMs)) && !state.stopped) {
        const answered = await withTimeout(ask(liveness.checkMs), liveness.checkMs + 1_000, () => new Error('no answer')).catch(() => false);
        if (state.stopped || this.stopping) return;
        const now = this.now().getTime();
        if (answeredAt === null) {
          if (answered) answeredAt = now;
          else if (now - startedAt >= liveness.startMs) {
            const since = `${Math.round((now - startedAt) / 1000)}s`;
            this.events.log(`${name} (pid ${run.pid}) has not answered since it started ${since} ago; killing it (SIGKILL) to start it again`);
            const outcome = this.killRun(name, run);
            if (outcome === 'killed') state.verdict = `no answer within ${since} of its start`;
            if (outcome !== 'failed') return;
          }
          continue;
        }
        const silentFor = `${Math.round((now - answeredAt) / 1000)}s`;
        if (answered) {
          if (told) {
            told = false;
            this.events.log(`${name} (pid ${run.pid}) answers again, after ${silentFor} without an answer`);
            this.unanswered(name, run, null);
          }
          answeredAt = now;
          continue;
        }
        if (!told && now - answeredAt >= liveness.warnAfterMs && now - answeredAt < limitMs) {
          told = true;
          this.events.log(`${name} (pid ${run.pid}) has not answered for ${silentFor}; it is killed and started again if it stays silent for ${limit}`);
          this.unanswered(name, run, new Date(answeredAt));
        }
        if (now - answeredAt < limitMs) continue;
        this.events.log(`${name} (pid ${run.pid}) has not answered for ${silentFor}; killing it (SIGKILL) to start it again`);
        const outcome = this.killRun(name, run);
        if (outcome === 'killed') state.verdict = `not answering for ${silentFor}`;
        if (outcome !== 'failed') return;
        answeredAt = now;
      }
    })();
    return guard;
  }

  /** Kills a run that does not answer: killed, gone already (its exit is on its way), or failed (said). */
  private killRun(name: string, run: ServerRun): 'killed' | 'gone' | 'failed' {
    try {
      this.kill(run);
      return 'killed';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
      this.events.log(`could not kill ${name} (pid ${run.pid}): ${messageOf(error)}`);
      return 'failed';
    }
  }

  /** Tries until it is up (resolves the failures in a row) or given up on (undefined). */
  private async restart(name: string, server: RestartableServer, failuresBefore: number, ranForMs: number, exit: ExitStatus): Promise<number | undefined> {
    let failures = failuresBefore;
    let ranFor = ranForMs;
    let what = `${name} (pid ${server.current().pid}) exited (${describeExit(exit)})`;
    for (;;) {
      const verdict = afterFailure(this.policy, failures, ranFor);
      failures = verdict.failuresInARow;
      if (verdict.kind === 'give-up') {
        this.update(processStopped(this.processes.get(name)!, this.now()));
        this.events.gaveUp(name, `${failures} failures in a row, the last: ${what} (log: ${server.logFile})`);
        return undefined;
      }
      const seconds = (verdict.delayMs / 1000).toFixed(1);
      this.events.log(`${what}; restarting it in ${seconds}s (failure ${failures} of ${this.policy.maxFailuresInARow} in a row; log: ${server.logFile})`);
      if (!(await this.sleep(verdict.delayMs))) return undefined;
      try {
        await server.restart();
        return failures;
      } catch (error) {
        if (this.stopping) return undefined;
        const reason = firstLine(messageOf(error));
        this.down(name, { code: null, signal: null, reason: `did not come up: ${reason}` });
        what = `${name} did not come up (${reason})`;
        ranFor = 0;
      }
    }
  }

  /** The run still being the process's current one, marks since when it has not answered (null: it answers again). */
  private unanswered(name: string, run: ServerRun, lastAnswer: Date | null): void {
    const proc = this.processes.get(name);
    if (proc?.state === 'running' && proc.pid === run.pid) this.update(processUnanswered(proc, lastAnswer));
  }

  private down(name: string, exit: ExitStatus): void {
    const before = this.processes.get(name);
    if (before) this.update(processDown(before, exit, this.now()));
  }

  /** False when the supervisor was stopped while it slept. */
  private async sleep(ms: number): Promise<boolean> {
    const wake = new AbortController();
    this.sleeping.add(wake);
    try {
      await delay(ms, undefined, { signal: wake.signal });
      return !this.stopping;
    } catch {
      return false;
    } finally {
      this.sleeping.delete(wake);
    }
  }

  private update(proc: StackProcess): void {
    if (this.stopping && proc.state !== 'stopped') return;
    this.processes.set(proc.name, proc);
    this.emit();
  }

  private emit(): void {
    this.events.changed({ supervisor_pid: process.pid, updated_at: this.now().toISOString(), processes: [...this.processes.values()] });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
