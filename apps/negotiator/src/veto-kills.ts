import { In, type EntityManager } from 'typeorm';
import { evolveVeto, noticeRiskOf, type ApprovalRequested, type DecisionMade, type KillEvent, type KillReported, type RiskAssessed, type VetoAsk, type VetoEvent, type VetoExchange } from '@medic/domain';
import { derivedUuid, insertRowsIgnoringConflicts, newEnvelope, toKafkaMessage, upsertRows, type Cause } from '@medic/eventlog';
import type { Message } from 'kafkajs';
import { VetoAskRow, VetoKill } from './negotiator.schema';

/** Where the negotiator's own events come from. */
export const NEGOTIATOR_SOURCE = 'medic/negotiator';
/** The negotiator's step on the kill log (its positions and dead letters). */
export const NEGOTIATION_STEP = 'negotiator';

/**
 * The kills a round of the negotiator touches, loaded (and locked, in one
 * order) once, changed in memory and written once. Every veto event the
 * round appends is folded into its kill's exchange here, so the rows and the
 * log never disagree.
 */
export class VetoKills {
  private readonly changed = new Set<string>();
  private readonly asks: VetoAskRow[] = [];

  private constructor(private readonly rows: Map<string, VetoKill>) {}

  static async load(tx: EntityManager, killIds: Iterable<string>): Promise<VetoKills> {
    const ids = [...new Set(killIds)];
    const rows = ids.length === 0 ? [] : await tx.find(VetoKill, { where: { killId: In(ids) }, order: { killId: 'ASC' }, lock: { mode: 'pessimistic_write' } });
    return new VetoKills(new Map(rows.map((r) => [r.killId, r])));
  }

  get(killId: string): VetoKill | null {
    return this.rows.get(killId) ?? null;
  }

  /** The kill's row, made on first sight; marked to be written. */
  edit(killId: string): VetoKill {
    let row = this.rows.get(killId);
    if (!row) {
      row = Object.assign(new VetoKill(), { killId, targetModule: null, replyTo: null, risk: null, exchange: null, dueAt: null, claimedUntil: null, notice: null, cause: null });
      this.rows.set(killId, row);
    }
    this.changed.add(killId);
    return row;
  }

  /** What a notice about the kill will say (module, risk, where Smith answers), from its report, risk assessment and decision. */
  learn(event: KillReported | RiskAssessed | DecisionMade): void {
    const row = this.edit(event.killId);
    switch (event.type) {
      case 'KillReported':
        row.targetModule = event.report.targetModule;
        row.replyTo = event.replyTo;
        return;
      case 'RiskAssessed':
        row.risk = noticeRiskOf(event.assessment);
        return;
      case 'DecisionMade':
        row.targetModule = event.targetModule;
        // Assessed risk has the factors; a decision without an assessment seen gives the level and score.
        row.risk ??= { level: event.decision.riskLevel, score: event.decision.riskScore, factors: {} };
        return;
    }
  }

  /**
   * An approval Smith had cleared, sent to a human after all (a quarantine overtook the automatic approval):
   * the exchange is over, so the human's approval, when it comes, is put to Smith afresh.
   */
  reopen(event: ApprovalRequested): void {
    if (this.rows.get(event.killId)?.exchange?.status !== 'cleared') return;
    const row = this.edit(event.killId);
    row.exchange = null;
    row.dueAt = null;
    row.claimedUntil = null;
    row.notice = null;
  }

  /** Folds a veto event of ours into its kill's exchange; a new notice is remembered by its ids. */
  apply(event: VetoEvent): VetoExchange {
    const row = this.edit(event.killId);
    const exchange = evolveVeto(row.exchange, event);
    row.exchange = exchange;
    row.dueAt = exchange.dueAt === null ? null : new Date(exchange.dueAt);
    row.claimedUntil = null;
    // A notice not sent by the time its exchange moved on would ask about something already settled.
    if (event.type !== 'VetoRequested') row.notice = null;
    if (event.type === 'VetoRequested') {
      this.asks.push(Object.assign(new VetoAskRow(), { correlationId: event.correlationId, requestId: event.requestId, killId: event.killId }));
    }
    return exchange;
  }

  async save(tx: EntityManager): Promise<void> {
    const rows = [...this.changed].map((id) => this.rows.get(id)!);
    await upsertRows(tx, VetoKill, rows, ['killId']);
    // The same notice again (a timer fired twice) is the same ask.
    await insertRowsIgnoringConflicts(tx, VetoAskRow, this.asks);
    this.changed.clear();
    this.asks.length = 0;
  }
}

/** The notices answers name, by correlation id and by request id. */
export async function findAsks(tx: EntityManager, ids: { readonly correlationIds: readonly string[]; readonly requestIds: readonly string[] }): Promise<{ byCorrelation: Map<string, VetoAskRow>; byRequest: Map<string, VetoAskRow> }> {
  const where = [
    ...(ids.correlationIds.length > 0 ? [{ correlationId: In([...ids.correlationIds]) }] : []),
    ...(ids.requestIds.length > 0 ? [{ requestId: In([...ids.requestIds]) }] : []),
  ];
  const rows = where.length === 0 ? [] : await tx.find(VetoAskRow, { where });
  return { byCorrelation: new Map(rows.map((r) => [r.correlationId, r])), byRequest: new Map(rows.map((r) => [r.requestId, r])) };
}

/** A veto event as a record of the kill log, continuing the trace of `cause` (the notice it follows). */
export function vetoRecord(event: KillEvent, cause: Cause | null): Message {
  return toKafkaMessage('kill', newEnvelope('kill', event, { source: NEGOTIATOR_SOURCE, subject: event.killId, time: event.at, cause }));
}

/**
 * The ids of the notice that follows a deferred one: derived from it, so that
 * a timer firing twice sends the same notice, not two.
 */
export function nextAsk(exchange: VetoExchange): VetoAsk {
  return { requestId: derivedUuid(`${exchange.requestId}/again`), correlationId: derivedUuid(`${exchange.correlationId}/again`) };
}
