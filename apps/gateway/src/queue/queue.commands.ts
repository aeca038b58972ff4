import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { LoggedKillCommand } from '@medic/domain';
import { DATA_SOURCE, METRICS } from '@medic/eventlog';
import { counter } from '@medic/observability';
import type { Principal } from '../auth/api-keys';
import { ApiError } from '../http/envelope';
import type { CommandVerdict } from './command-verdict.entity';
import { CommandSender } from './command-sender';
import { IdempotencyStore, requestHash, type StoredAnswer } from './idempotency';
import { toCommandStatusDto, toQueueItemDto, type QueueAction } from './queue.dto';
import { findQueueItem, statusUrl } from './queue.queries';
import { VerdictWaiter } from './verdict-waiter';

/** How long a POST waits for the workflow's verdict before answering 202 with a status URL. */
export const VERDICT_WAIT_MS = 5_000;

/** What the controller sends back: 200 with the item's new state, or 202 with where to look later. */
export interface QueueAnswer {
  readonly status: 200 | 202;
  readonly data: unknown;
}

export class ActOnQueueItemCommand extends Command<QueueAnswer> {
  constructor(
    readonly itemId: string,
    readonly action: QueueAction,
    readonly principal: Principal,
    readonly idempotencyKey: string | null,
  ) {
    super();
  }
}

/**
 * Approve or deny a queue item: the gateway only asks. The command goes to
 * medic.kill.commands and the kill workflow, the single writer of a kill's
 * transitions, answers it on the log; the answer here is that verdict.
 */
@CommandHandler(ActOnQueueItemCommand)
export class ActOnQueueItemHandler implements ICommandHandler<ActOnQueueItemCommand, QueueAnswer> {
  private readonly idempotency: IdempotencyStore;
  private readonly answers;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(METRICS) metrics: Registry,
    private readonly sender: CommandSender,
    private readonly verdicts: VerdictWaiter,
  ) {
    this.idempotency = new IdempotencyStore(dataSource);
    this.answers = counter(metrics, 'medic_approval_requests_total', 'Approve and deny requests over REST, by answer', ['action', 'answer']);
  }

  async execute(c: ActOnQueueItemCommand): Promise<QueueAnswer> {
    try {
      const answer = await this.act(c);
      this.answers.inc({ action: c.action.kind, answer: String(answer.status) });
      return answer;
    } catch (error) {
      this.answers.inc({ action: c.action.kind, answer: error instanceof ApiError ? String(error.status) : '500' });
      throw error;
    }
  }

  private async act({ itemId, action, principal, idempotencyKey }: ActOnQueueItemCommand): Promise<QueueAnswer> {
    const item = await findQueueItem(this.dataSource, itemId);
    const now = new Date();
    if (idempotencyKey === null) {
      const commandId = randomUUID();
      await this.send(commandFor(action, item.killId, commandId, principal, now));
      return this.answer(itemId, commandId, await this.verdicts.wait(commandId, VERDICT_WAIT_MS));
    }

    const claim = await this.idempotency.claim(principal.name, idempotencyKey, requestHash({ itemId, action }), now);
    if (claim.kind === 'answered') return replay(claim.status, claim.answer);
    if (claim.kind !== 'wait') {
      try {
        await this.send(commandFor(action, item.killId, claim.commandId, principal, now));
      } catch (error) {
        await this.idempotency.release(principal.name, idempotencyKey).catch(() => undefined);
        throw error;
      }
      await this.idempotency.markSent(principal.name, idempotencyKey);
    }
    try {
      const answer = await this.answer(itemId, claim.commandId, await this.verdicts.wait(claim.commandId, VERDICT_WAIT_MS));
      if (answer.status === 200) await this.idempotency.record(principal.name, idempotencyKey, 200, { data: answer.data });
      return answer;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        await this.idempotency.record(principal.name, idempotencyKey, 409, { error: { code: error.code, message: error.message } });
      }
      throw error;
    }
  }

  private async send(command: LoggedKillCommand): Promise<void> {
    try {
      await this.sender.send(command);
    } catch (error) {
      throw new ApiError(503, 'unavailable', `the event log did not take the command: ${error instanceof Error ? error.message : String(error)}; nothing was done, try again`);
    }
  }

  /** 200 with the item's new state, 409 with the workflow's reason, or 202 when no verdict came in time. */
  private async answer(itemId: string, commandId: string, verdict: CommandVerdict | null): Promise<QueueAnswer> {
    if (verdict === null) return { status: 202, data: toCommandStatusDto(commandId, null, statusUrl(itemId, commandId)) };
    if (verdict.verdict === 'rejected') throw new ApiError(409, verdict.code ?? 'conflict', verdict.reason ?? 'the workflow rejected the command');
    return { status: 200, data: { ...toQueueItemDto(await findQueueItem(this.dataSource, itemId)), command_id: commandId } };
  }
}

function commandFor(action: QueueAction, killId: string, commandId: string, principal: Principal, at: Date): LoggedKillCommand {
  const base = { commandId, killId, at: at.toISOString() };
  return action.kind === 'approve'
    ? { type: 'GrantApproval', ...base, approver: principal.name, notes: action.notes }
    : { type: 'DenyApproval', ...base, denier: principal.name, reason: action.reason };
}

function replay(status: number, answer: StoredAnswer): QueueAnswer {
  if ('error' in answer) throw new ApiError(status, answer.error.code, answer.error.message);
  return { status: 200, data: answer.data };
}
