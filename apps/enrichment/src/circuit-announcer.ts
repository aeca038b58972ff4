import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { MedicConfig } from '@medic/config';
import type { CircuitBreaker, CircuitState } from '@medic/domain';
import { EventLog, KAFKA, MEDIC_CONFIG, newEnvelope } from '@medic/eventlog';
import { Logger } from '@medic/observability';

const SOURCE = 'medic/enrichment';

/**
 * Tells the rest of Medic when a SIEM's circuit breaker changes state, as a
 * SiemCircuitChanged control event (the gateway shows it in /status and
 * /health). Best effort: the breaker works the same if the log is away.
 */
@Injectable()
export class CircuitAnnouncer implements OnApplicationShutdown {
  private readonly logger = new Logger('medic.enrichment.circuit');
  private readonly log: EventLog;
  private connected: Promise<void> | null = null;

  constructor(@Inject(MEDIC_CONFIG) config: MedicConfig, @Inject(KAFKA) kafka: Kafka) {
    const t = config.kafka.topics;
    this.log = new EventLog(kafka, { kill: t.kill_events, control: t.control_events, command: t.kill_commands });
  }

  announce(previous: CircuitState, next: CircuitBreaker, reason: string): void {
    const at = new Date().toISOString();
    const event = { type: 'SiemCircuitChanged' as const, at, actor: SOURCE, siem: next.name, previous, current: next.state, failureCount: next.failureCount, reason: reason.slice(0, 1000) };
    this.connected ??= this.log.connect();
    void this.connected
      .then(() => this.log.append('control', [newEnvelope('control', event, { source: SOURCE, subject: `siem/${next.name}`, time: at })]))
      .catch((error: unknown) => this.logger.warn('could not announce the circuit breaker change', { error }));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connected) await this.log.disconnect().catch(() => undefined);
  }
}
