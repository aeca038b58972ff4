import type { KafkaMessage, Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { answerSmith, readVetoAnswer, type VetoAnswer, type VetoEvent } from '@medic/domain';
import { deadLetter, type ProcessorBatch, type StepResult } from '@medic/eventlog';
import type { NegotiatorSettings } from './negotiator.settings';
import { findAsks, vetoRecord, VetoKills } from './veto-kills';

export const ANSWERS_STEP = 'negotiator-answers';

/** What became of each message on a reply topic. */
export type AnswerVerdict =
  | { readonly kind: 'settled'; readonly killId: string; readonly events: readonly VetoEvent[] }
  | { readonly kind: 'ignored'; readonly messageType: string }
  | { readonly kind: 'dead_letter'; readonly code: string; readonly reason: string };

/** A message read: Smith's answer to match, or already judged. */
type Read = { readonly message: KafkaMessage; readonly answer: VetoAnswer } | { readonly message: KafkaMessage; readonly verdict: AnswerVerdict };

/**
 * Smith's answers from a reply topic, a round at a time: each answer is
 * matched to its notice by correlation id (else request id) and settles the
 * kill's exchange (VetoCleared, ResurrectionVetoed, VetoDeferred) in the
 * Kafka transaction that commits the answer's offset. An answer that cannot
 * be read, names no notice, or one already answered goes to the veto
 * dead-letter topic with the reason, in the same transaction; messages of
 * other types are left alone.
 */
export async function takeAnswers(batches: readonly ProcessorBatch[], tx: EntityManager, settings: NegotiatorSettings, now: () => Date): Promise<StepResult<readonly AnswerVerdict[]>[]> {
  const at = now();
  const reads = batches.map((batch) => batch.messages.map((message) => readOne(message, settings)));
  const answers = reads.flat().flatMap((r) => ('answer' in r ? [r.answer] : []));
  const asks = await findAsks(tx, {
    correlationIds: answers.flatMap((a) => (a.correlationId ? [a.correlationId] : [])),
    requestIds: answers.flatMap((a) => (a.requestId ? [a.requestId] : [])),
  });
  const askOf = (a: VetoAnswer) => (a.correlationId ? asks.byCorrelation.get(a.correlationId) : undefined) ?? (a.requestId ? asks.byRequest.get(a.requestId) : undefined);
  const kills = await VetoKills.load(
    tx,
    answers.flatMap((a) => askOf(a)?.killId ?? []),
  );

  const settle = (answer: VetoAnswer, message: KafkaMessage): AnswerVerdict => {
    const ask = askOf(answer);
    const exchange = ask ? kills.get(ask.killId)?.exchange : null;
    if (!ask || !exchange) {
      const named = [answer.correlationId && `correlation_id ${answer.correlationId}`, answer.requestId && `request_id ${answer.requestId}`].filter(Boolean).join(', ');
      return { kind: 'dead_letter', code: 'unknown_notice', reason: `no pre-resurrection notice was sent with ${named}` };
    }
    const result = answerSmith(exchange, ask, answer, at.toISOString(), settings.veto, reachedLog(message, at));
    if (!result.ok) return { kind: 'dead_letter', ...result.error };
    for (const e of result.value) kills.apply(e);
    return { kind: 'settled', killId: ask.killId, events: result.value };
  };

  const results = batches.map((batch, i) => {
    const events: Message[] = [];
    const dead: Message[] = [];
    const verdicts = reads[i]!.map((read): AnswerVerdict => {
      const outcome = 'answer' in read ? settle(read.answer, read.message) : read.verdict;
      if (outcome.kind === 'dead_letter') dead.push(deadLetter(ANSWERS_STEP, { topic: batch.topic, partition: batch.partition, message: read.message }, outcome, 1, at));
      if (outcome.kind === 'settled') {
        const cause = kills.get(outcome.killId)?.cause ?? null;
        events.push(...outcome.events.map((e) => vetoRecord(e, cause)));
      }
      return outcome;
    });
    return {
      outputs: [
        { topic: settings.killEventsTopic, messages: events },
        { topic: settings.dlqTopic, messages: dead },
      ],
      report: verdicts,
    };
  });
  await kills.save(tx);
  return results;
}

/**
 * When an answer reached the log: its record's timestamp, never later than
 * it is read (a producer's clock ahead of Medic's cannot make an answer late).
 */
function reachedLog(message: KafkaMessage, now: Date): string {
  const stamped = Number(message.timestamp);
  return new Date(Number.isFinite(stamped) && stamped >= 0 && stamped < now.getTime() ? stamped : now.getTime()).toISOString();
}

function readOne(message: KafkaMessage, settings: NegotiatorSettings): Read {
  const read = readVetoAnswer(message.value ?? Buffer.alloc(0), settings.maxAnswerBytes);
  switch (read.kind) {
    case 'answer':
      return { message, answer: read.answer };
    case 'other':
      return { message, verdict: { kind: 'ignored', messageType: read.messageType } };
    case 'malformed': {
      const { code, field, reason } = read.failure;
      return { message, verdict: { kind: 'dead_letter', code, reason: field ? `${reason} (field ${field})` : reason } };
    }
  }
}
