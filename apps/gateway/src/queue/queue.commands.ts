import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { LoggedKillCommand } from '@medic/domain';
import { DATA_SOURCE, METRICS } from '@medic/eventlog';
import { counter } from '@medic/observability';
import type { Principal } from '../auth/api-keys';
import { countAnswer, LoggedCommands, type CommandAnswer } from './logged-commands';
import { toCommandStatusDto, toQueueItemDto, type QueueAction } from './queue.dto';
import { findQueueItem, statusUrl } from './queue.queries';

export class ActOnQueueItemCommand extends Command<CommandAnswer> {
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
 * Approve or deny a queue item: GrantApproval or DenyApproval through the
 * log (see LoggedCommands), answered with the item's new state.
 */
@CommandHandler(ActOnQueueItemCommand)
export class ActOnQueueItemHandler implements ICommandHandler<ActOnQueueItemCommand, CommandAnswer> {
  private readonly answers;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(METRICS) metrics: Registry,
    private readonly commands: LoggedCommands,
  ) {
    this.answers = counter(metrics, 'medic_approval_requests_total', 'Approve and deny requests over REST, by answer', ['action', 'answer']);
  }

  execute(c: ActOnQueueItemCommand): Promise<CommandAnswer> {
    return countAnswer((answer) => this.answers.inc({ action: c.action.kind, answer }), () => this.act(c));
  }

  private async act({ itemId, action, principal, idempotencyKey }: ActOnQueueItemCommand): Promise<CommandAnswer> {
    const item = await findQueueItem(this.dataSource, itemId);
    return this.commands.run({
      principal,
      idempotencyKey,
      request: { itemId, action },
      command: (commandId, at) => commandFor(action, item.killId, commandId, principal, at),
      answer: async (commandId, verdict) =>
        verdict === null
          ? { status: 202, data: toCommandStatusDto(commandId, null, statusUrl(itemId, commandId)) }
          : { status: 200, data: { ...toQueueItemDto(await findQueueItem(this.dataSource, itemId)), command_id: commandId } },
    });
  }
}

function commandFor(action: QueueAction, killId: string, commandId: string, principal: Principal, at: Date): LoggedKillCommand {
  const base = { commandId, killId, at: at.toISOString() };
  return action.kind === 'approve'
    ? { type: 'GrantApproval', ...base, approver: principal.name, notes: action.notes }
    : { type: 'DenyApproval', ...base, denier: principal.name, reason: action.reason };
}
