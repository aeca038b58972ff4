import { setTimeout as delay } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { circuitAt, newCircuit, recordFailure, recordSuccess, retryDelayMs, tryCall, type CircuitBreaker, type CircuitSettings, type CircuitState, type RetryPolicy } from '@medic/domain';
import { counter, gaugeOnScrape, histogram, Logger } from '@medic/observability';
import { SiemError, type SiemClient } from './siem-client';

export interface ResilienceSettings {
  /** The whole budget of one call, retries included. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly circuit: CircuitSettings;
}

export type Attempted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/**
 * Calls to one SIEM within a time budget: each attempt gets what is left of
 * it, retriable failures are retried with backoff and jitter while the
 * budget allows, and a circuit breaker stops calling a SIEM that keeps
 * failing until its recovery time has passed. It never throws: the caller
 * gets the value or the reason there is none.
 */
export class ResilientSiem {
  private breaker: CircuitBreaker;
  private readonly logger = new Logger('medic.enrichment.siem');
  private readonly latency;
  private readonly failures;

  constructor(
    readonly client: SiemClient,
    private readonly settings: ResilienceSettings,
    metrics: Registry,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    /** Told of every change of the breaker's state, with why. */
    private readonly onChange: (previous: CircuitState, next: CircuitBreaker, reason: string) => void = () => undefined,
  ) {
    this.breaker = newCircuit(client.name);
    this.latency = histogram(metrics, 'medic_siem_query_seconds', 'Time of one call to the SIEM, by operation and result', ['operation', 'result'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    this.failures = counter(metrics, 'medic_siem_failures_total', 'Failed calls to the SIEM, by operation and whether they were retriable', ['operation', 'retriable']);
    gaugeOnScrape(metrics, 'medic_siem_circuit_state', 'The SIEM circuit breaker: 0 closed, 1 half-open, 2 open', () => Promise.resolve(STATE_VALUE[this.state()]));
  }

  state(): CircuitState {
    return circuitAt(this.breaker, this.settings.circuit, this.now()).state;
  }

  circuit(): CircuitBreaker {
    return circuitAt(this.breaker, this.settings.circuit, this.now());
  }

  async call<T>(operation: string, attempt: (timeoutMs: number) => Promise<T>): Promise<Attempted<T>> {
    const started = this.now();
    let lastReason = 'no attempt was made';
    for (let n = 1; ; n++) {
      const left = this.settings.timeoutMs - (this.now() - started);
      if (left <= 0) return { ok: false, reason: `no answer within ${this.settings.timeoutMs} ms (${lastReason})` };
      const gate = tryCall(this.breaker, this.settings.circuit, this.now());
      this.transition(gate.breaker, 'recovery time passed: trial calls let through');
      if (!gate.allowed) {
        const since = this.breaker.lastFailureAt === null ? '' : ` since ${new Date(this.breaker.lastFailureAt).toISOString()}`;
        return { ok: false, reason: `the ${this.client.name} circuit breaker is open${since} after ${this.breaker.failureCount} failures (${lastReason})` };
      }
      const t0 = performance.now();
      try {
        const value = await attempt(left);
        this.latency.observe({ operation, result: 'ok' }, (performance.now() - t0) / 1000);
        this.transition(recordSuccess(this.breaker), 'a call succeeded');
        return { ok: true, value };
      } catch (error) {
        this.latency.observe({ operation, result: 'error' }, (performance.now() - t0) / 1000);
        const retriable = error instanceof SiemError ? error.retriable : false;
        this.failures.inc({ operation, retriable: String(retriable) });
        lastReason = error instanceof Error ? error.message : String(error);
        this.transition(recordFailure(this.breaker, this.settings.circuit, this.now()), lastReason);
        const wait = retriable ? retryDelayMs(this.settings.retry, n, this.random()) : null;
        if (wait === null) return { ok: false, reason: lastReason };
        if (this.now() - started + wait >= this.settings.timeoutMs) return { ok: false, reason: `no answer within ${this.settings.timeoutMs} ms (${lastReason})` };
        await delay(wait);
      }
    }
  }

  private transition(next: CircuitBreaker, reason: string): void {
    const previous = this.breaker.state;
    this.breaker = next;
    if (next.state === previous) return;
    this.logger.warn(`SIEM circuit breaker ${previous} → ${next.state}`, { siem: this.client.name, failures: next.failureCount, reason });
    this.onChange(previous, next, reason);
  }
}
