import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import { askSmith, DomainError, preResurrectionNotice, type KillEvent, type VetoRequested } from '@medic/domain';
import { causeOf, decodeRecords, dispatchEach, type LogDispatch, type LoggedEvent, type ProcessorBatch, type RejectedRecord, type StepResult } from '@medic/eventlog';
import type { NegotiatorSettings } from './negotiator.settings';
import { vetoRecord, VetoKills } from './veto-kills';

/** What a round of the kill log made: the notices it asked for, and the notices now ready to send. */
export interface NegotiationReport {
  readonly asked: readonly VetoRequested[];
  readonly ready: number;
  /** Kills whose reply_to is not a configured reply topic (reported before the list was checked): asked on the default one. */
  readonly redirected: readonly { readonly killId: string; readonly replyTo: string }[];
}

/**
 * What the negotiator's handlers are given for the kill log: the round's
 * kills and where to append. Asking is the intent: VetoRequested is committed
 * with the consumed offsets; the notice goes to Smith only once that
 * VetoRequested is read back from the log (see `noticeCommitted`).
 */
export class NegotiationRound {
  private messages: Message[] = [];
  private asked: VetoRequested[] = [];
  private ready = 0;
  private redirected: { killId: string; replyTo: string }[] = [];

  constructor(
    readonly kills: VetoKills,
    readonly settings: NegotiatorSettings,
    readonly at: Date,
  ) {}

  /** An approved resurrection: Smith is asked first, when the veto protocol is on. */
  ask(killId: string, approvedBy: string, cause: LoggedEvent<KillEvent>): void {
    if (!this.settings.enabled) return;
    const row = this.kills.get(killId);
    if (row?.targetModule == null) throw new DomainError('unknown_kill', `approval of kill ${killId}, whose report the negotiator never saw`);
    // One exchange per kill: an approval seen again asks nothing more.
    if (row.exchange !== null) return;
    const event = askSmith(
      {
        killId,
        at: this.at.toISOString(),
        requestId: randomUUID(),
        correlationId: randomUUID(),
        noticeTopic: this.settings.noticeTopic,
        replyTo: this.replyTopicOf(killId, row.replyTo),
        approvedBy,
      },
      null,
      this.settings.veto,
    );
    this.kills.apply(event);
    this.asked.push(event);
    this.messages.push(vetoRecord(event, causeOf(cause)));
  }

  /**
   * Where Smith is to answer about the kill: the topic its report named when
   * that is a configured reply topic, else the default one. The listener
   * refuses other names; a kill reported before it did is asked on the
   * default topic, never on the topic it named.
   */
  private replyTopicOf(killId: string, named: string | null): string {
    if (named === null || this.settings.replyTopics.includes(named)) return named ?? this.settings.defaultReplyTo;
    this.redirected.push({ killId, replyTo: named });
    return this.settings.defaultReplyTo;
  }

  /** A VetoRequested of ours is on the log: its notice may go, unless the exchange moved on. */
  noticeCommitted(logged: LoggedEvent<VetoRequested>): void {
    const ask = logged.data;
    const row = this.kills.get(ask.killId);
    const exchange = row?.exchange;
    if (!row || exchange?.requestId !== ask.requestId || exchange.status !== 'asked' || row.targetModule === null || row.risk === null) return;
    const edited = this.kills.edit(ask.killId);
    edited.notice = preResurrectionNotice(ask, row.targetModule, row.risk);
    edited.cause = causeOf(logged);
    this.ready += 1;
  }

  begin(): void {
    this.messages = [];
    this.asked = [];
    this.ready = 0;
    this.redirected = [];
  }

  finish(rejected: RejectedRecord[]): StepResult<NegotiationReport> {
    return { outputs: [{ topic: this.settings.killEventsTopic, messages: this.messages }], report: { asked: this.asked, ready: this.ready, redirected: this.redirected }, rejected };
  }
}

/** The kill events the negotiator reads, in log order, each to its handler; the round's kills written once. */
export async function runNegotiation(
  batches: readonly ProcessorBatch[],
  tx: EntityManager,
  settings: NegotiatorSettings,
  dispatch: LogDispatch,
  wanted: (type: string) => boolean,
  now: () => Date,
): Promise<StepResult<NegotiationReport>[]> {
  const decoded = batches.map((batch) => decodeRecords('kill', batch, wanted));
  const kills = await VetoKills.load(
    tx,
    decoded.flatMap((d) => d.events.map((e) => e.data.killId)),
  );
  const round = new NegotiationRound(kills, settings, now());
  const results: StepResult<NegotiationReport>[] = [];
  for (const { events, rejected } of decoded) {
    round.begin();
    results.push(round.finish([...rejected, ...(await dispatchEach(events, round, dispatch, 'the negotiator'))]));
  }
  await kills.save(tx);
  return results;
}
