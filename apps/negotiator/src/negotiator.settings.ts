import { replyTopicsOf, toVetoSettings, type MedicConfig } from '@medic/config';
import type { VetoSettings } from '@medic/domain';

/** What the negotiator's steps need from the config. */
export interface NegotiatorSettings {
  /** Off: kills are still noted, but Smith is never asked. */
  readonly enabled: boolean;
  readonly veto: VetoSettings;
  readonly killEventsTopic: string;
  /** Where notices go. */
  readonly noticeTopic: string;
  /** Where answers are read when the kill named no reply_to (or one outside replyTopics). */
  readonly defaultReplyTo: string;
  /** The only topics answers are read from (smith.veto_protocol.reply_topics and the default). */
  readonly replyTopics: readonly string[];
  /** Where answers that settle nothing go, with the reason. */
  readonly dlqTopic: string;
  readonly maxAnswerBytes: number;
}

export function negotiatorSettings(config: MedicConfig): NegotiatorSettings {
  const { veto_protocol: v, event_bus: bus } = config.smith;
  return {
    enabled: v.enabled,
    veto: toVetoSettings(config),
    killEventsTopic: config.kafka.topics.kill_events,
    noticeTopic: v.request_topic,
    defaultReplyTo: bus.response_topic,
    replyTopics: replyTopicsOf(config),
    dlqTopic: v.dlq_topic,
    maxAnswerBytes: bus.max_message_bytes,
  };
}
