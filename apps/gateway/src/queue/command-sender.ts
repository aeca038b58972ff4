import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { MedicConfig } from '@medic/config';
import type { LoggedKillCommand } from '@medic/domain';
import { EventLog, KAFKA, MEDIC_CONFIG, newEnvelope, provisionTopics } from '@medic/eventlog';

/** The gateway's source on the log: commands it sends say they came through the API. */
export const GATEWAY_SOURCE = 'medic/gateway';

/** Sends operators' commands to medic.kill.commands, keyed by kill, for the kill workflow to answer. */
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
    await provisionTopics(this.kafka, [config.kafka.topics.kill_commands], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
    await this.log.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.log.disconnect();
  }

  async send(command: LoggedKillCommand): Promise<void> {
    await this.log.append('command', [newEnvelope('command', command, { source: GATEWAY_SOURCE, subject: command.killId, time: command.at })]);
  }
}
