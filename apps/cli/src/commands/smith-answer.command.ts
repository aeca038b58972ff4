import { Partitioners, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import { plural } from '@medic/domain';
import { provisionTopics, whenConsumerGivenUp } from '@medic/eventlog';
import { CliError, cliConfig, cliKafka, topicsPresent } from '../cli-config';
import { parseSmithAnswer, readNotice, vetoAnswer, type SmithAnswerOptions } from '../smith-answers';

/**
 * `medic smith answer --policy …`: Smith's side of the veto exchange (spec
 * 4.4), for demos and tests. Reads pre-resurrection notices from the request
 * topic and answers each on its reply topic as the policy says (or stays
 * silent), printing every exchange; stops after `--count` notices, or on
 * Ctrl-C. Its consumer group is Smith's own, so a later run goes on from the
 * first notice this one left unanswered.
 */
export async function smithAnswer(args: readonly string[], out: (text: string) => void, signal?: AbortSignal): Promise<void> {
  const options = parseSmithAnswer(args);
  const config = cliConfig();
  const topic = config.smith.veto_protocol.request_topic;
  const fallbackReplyTo = config.smith.event_bus.response_topic;
  const kafka = await cliKafka(config, 'smith-simulator');
  const consumer = kafka.consumer({ groupId: `smith-simulator-${topic}`, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });

  const replyTopicThere = replyTopics(kafka);
  let handled = 0;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // Awaited once the consumer runs; should it be given up on before that, the rejection waits for it.
  void finished.catch(() => undefined);
  const onSignal = () => finish();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  try {
    try {
      await provisionTopics(kafka, [topic], { partitions: config.kafka.partitions, replicationFactor: config.kafka.replication_factor });
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
    } catch (error) {
      throw new CliError(`could not reach Kafka at ${config.kafka.brokers}: ${(error as Error).message}`);
    }
    whenConsumerGivenUp(consumer, (error) => fail(new CliError(`stopped reading ${topic}: ${error.message}`)));
    consumer.on(consumer.events.GROUP_JOIN, () => out(`waiting for pre-resurrection notices on ${topic} (policy ${options.policy}${options.count ? `, ${options.count} notice${options.count > 1 ? 's' : ''}` : ', until Ctrl-C'})`));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (options.count !== null && handled >= options.count) return;
        await answerOne(message, options, { producer, out, fallbackReplyTo, replyTopicThere });
        handled += 1;
        // This notice is dealt with: a later run starts after it.
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        if (options.count !== null && handled >= options.count) finish();
      },
    });
    await finished;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
  out(`handled ${plural(handled, 'notice')}`);
}

async function answerOne(
  message: KafkaMessage,
  options: SmithAnswerOptions,
  ctx: { producer: Producer; out: (text: string) => void; fallbackReplyTo: string; replyTopicThere: (topic: string) => Promise<boolean> },
): Promise<void> {
  const notice = readNotice(message.value);
  if (typeof notice === 'string') {
    ctx.out(`passed over a message that is no notice: ${notice}`);
    return;
  }
  const replyTo = notice.replyTo ?? ctx.fallbackReplyTo;
  ctx.out(`notice ${notice.requestId}: resurrect ${notice.targetModule} (kill ${notice.killId}, risk ${notice.risk}), answer on ${replyTo} within ${notice.timeoutSeconds ?? '?'} s`);
  if (options.policy === 'silent') {
    ctx.out('  staying silent');
    return;
  }
  try {
    // A send to a topic the brokers do not have is retried for half a minute, then fails.
    if (!(await ctx.replyTopicThere(replyTo))) {
      ctx.out(`  could not answer on ${replyTo}: there is no such topic`);
      return;
    }
    await ctx.producer.send({ topic: replyTo, acks: -1, messages: [{ key: notice.killId, value: vetoAnswer(notice, options.policy, options, new Date()) }] });
  } catch (error) {
    ctx.out(`  could not answer on ${replyTo}: ${(error as Error).message}`);
    return;
  }
  ctx.out(`  answered ${options.policy}: ${options.reason}${options.evidence.length > 0 ? ` (evidence: ${options.evidence.join(', ')})` : ''}`);
}

/** Whether a reply topic exists; one seen there is not asked about again. */
function replyTopics(kafka: Kafka): (topic: string) => Promise<boolean> {
  const seen = new Set<string>();
  return async (topic) => {
    if (seen.has(topic)) return true;
    if ((await topicsPresent(kafka, [topic])).has(topic)) seen.add(topic);
    return seen.has(topic);
  };
}
