import type { RefinementCtx } from 'zod';

/** The parts of the config that name topics, as the schema reads them. */
interface NamedTopics {
  readonly smith: {
    readonly event_bus: { readonly topic: string; readonly response_topic: string; readonly dlq_topic: string };
    readonly veto_protocol: { readonly request_topic: string; readonly dlq_topic: string; readonly reply_topics: readonly string[] };
  };
  readonly kafka: { readonly topics: Readonly<Record<string, string>> };
}

/**
 * Smith's answers come on the response topic and on smith.veto_protocol.reply_topics,
 * and the negotiator reads them from the start as veto answers. One of Medic's
 * own topics or a Kafka internal one would have it read its own log as answers
 * (and dead-letter it all) or feed on its own output: the config is refused.
 */
export function refineReplyTopics(config: NamedTopics, ctx: RefinementCtx): void {
  const own = ownTopics(config);
  const { response_topic: responseTopic } = config.smith.event_bus;
  const check = (topic: string, path: (string | number)[]) => {
    const problem = replyTopicProblem(topic, own);
    if (problem !== null) ctx.addIssue({ code: 'custom', path, message: problem });
  };
  check(responseTopic, ['smith', 'event_bus', 'response_topic']);
  // The response topic, listed again (the default list is just it), is named once.
  config.smith.veto_protocol.reply_topics.forEach((topic, i) => {
    if (topic !== responseTopic) check(topic, ['smith', 'veto_protocol', 'reply_topics', i]);
  });
}

function replyTopicProblem(topic: string, own: ReadonlyMap<string, string>): string | null {
  const key = own.get(topic);
  if (key !== undefined) return `"${topic}" is ${key}, a topic of Medic's own; Smith's answers need a topic of their own`;
  if (topic.startsWith('__')) return `"${topic}" is a Kafka internal topic (its name starts with "__"); Smith's answers need a topic of their own`;
  return null;
}

/** Every topic Medic reads or writes other than Smith's answers, to the key that names it. */
function ownTopics(config: NamedTopics): Map<string, string> {
  const { event_bus: bus, veto_protocol: veto } = config.smith;
  const named: [string, string][] = [
    ['smith.event_bus.topic', bus.topic],
    ['smith.event_bus.dlq_topic', bus.dlq_topic],
    ['smith.veto_protocol.request_topic', veto.request_topic],
    ['smith.veto_protocol.dlq_topic', veto.dlq_topic],
    ...Object.entries(config.kafka.topics).map(([name, topic]): [string, string] => [`kafka.topics.${name}`, topic]),
  ];
  return new Map(named.map(([key, topic]) => [topic, key]));
}
