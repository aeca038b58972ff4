import type { Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { readSiemCa, type MedicConfig } from '@medic/config';
import { MEDIC_CONFIG, METRICS } from '@medic/eventlog';
import type { CircuitBreaker, CircuitState } from '@medic/domain';
import { ElasticsearchSiem } from './siem/elasticsearch-siem';
import { ResilientSiem } from './siem/resilient-siem';
import { CircuitAnnouncer } from './circuit-announcer';

export const SIEM = Symbol('medic.siem');

/** The configured SIEM behind its timeouts, retries and circuit breaker; null when none is configured. */
export function siemFor(config: MedicConfig, metrics: Registry, announcer?: CircuitAnnouncer): ResilientSiem | null {
  const s = config.siem;
  if (!s.enabled) return null;
  const client = new ElasticsearchSiem(s.endpoint, s.api_key, s.elasticsearch, s.max_results, readSiemCa(config));
  return new ResilientSiem(
    client,
    {
      timeoutMs: s.timeout_seconds * 1000,
      retry: { maxAttempts: s.retry.max_attempts, initialDelaySeconds: s.retry.backoff_seconds, maxDelaySeconds: s.retry.max_backoff_seconds, exponentialBase: 2, jitter: s.retry.jitter },
      circuit: { failureThreshold: s.circuit_breaker.failure_threshold, recoveryTimeoutSeconds: s.circuit_breaker.recovery_timeout_seconds, halfOpenMaxCalls: s.circuit_breaker.half_open_max_calls },
    },
    metrics,
    Date.now,
    Math.random,
    (previous: CircuitState, next: CircuitBreaker, reason: string) => announcer?.announce(previous, next, reason),
  );
}

export const SIEM_PROVIDER: Provider = { provide: SIEM, useFactory: siemFor, inject: [MEDIC_CONFIG, METRICS, CircuitAnnouncer] };
