import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { MedicConfig } from '@medic/config';
import type { ControlEvent, LoggedKillCommand } from '@medic/domain';
import { EventLog, KAFKA, MEDIC_CONFIG, newEnvelope, provisionTopics } from '@medic/eventlog';

/** The gateway's source on the log: commands it sends say they came through the API. */
export const GATEWAY_SOURCE = 'medic/gateway';

/** Sends operators' commands to medic.kill.commands, keyed by kill, for the kill workflow to answer, and their facts to medic.control.events. */
@Injectable()
export class CommandSender implements OnModuleInit, OnApplicationShutdown {
  private readonly log: EventLog;

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
  ) {
    const t = config.kafka.topics;
    this.log = new EventLog(kafka, { kill: t.kill_events, control: t.control_events, command: t.kill_commands });
  }

  async onModuleInit(): Promise<void> {
    const { config } = this;
    await provisionTopics(this.kafka, [config.kafka.topics.kill_commands, config.kafka.topics.control_events], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    await this.log.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.log.disconnect();
  }

  async send(command: LoggedKillCommand): Promise<void> {
    await this.log.append('command', [newEnvelope('command', command, { source: GATEWAY_SOURCE, subject: command.killId, time: command.at })]);
  }

  /** Appends an operator's fact to medic.control.events, keyed by what it is about (e.g. the module released). */
  async announce(event: ControlEvent, subject: string): Promise<void> {
    await this.log.append('control', [newEnvelope('control', event, { source: GATEWAY_SOURCE, subject, time: event.at })]);
  }
}
