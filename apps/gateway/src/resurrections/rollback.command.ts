import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { ApiError, DATA_SOURCE, METRICS } from '@medic/eventlog';
import { counter } from '@medic/observability';
import type { Principal } from '../auth/api-keys';
import { parseUuid } from '../http/params';
import { countAnswer, LoggedCommands, type CommandAnswer } from '../queue/logged-commands';
import { bodyFields, text, toCommandStatusDto } from '../queue/queue.dto';
import { ResurrectionView } from './resurrection-view.entity';

/** Said for the operator when the request gives no reason. */
export const DEFAULT_ROLLBACK_REASON = 'rollback requested over the API';

/** The body of POST /resurrections/{request_id}/rollback: an optional reason. */
export function parseRollbackReason(body: unknown): string {
  const reason = bodyFields(body, ['reason'], 'rollback')['reason'];
  return reason === undefined || reason === null ? DEFAULT_ROLLBACK_REASON : text('reason', reason, 1);
}

export function rollbackStatusUrl(requestId: string, commandId: string): string {
  return `/api/v1/resurrections/${encodeURIComponent(requestId)}/commands/${commandId}`;
}

/** The resurrection request of that id; 404 when there is none. */
export async function findResurrection(dataSource: DataSource, requestId: string): Promise<ResurrectionView> {
  // Medic names every resurrection request with a uuid: anything else is the caller's mistake, not an unknown request.
  const id = parseUuid('request_id', requestId);
  const row = await dataSource.getRepository(ResurrectionView).findOneBy({ requestId: id });
  if (!row) throw new ApiError(404, 'not_found', `no resurrection request ${requestId}`);
  return row;
}

export class RollBackResurrectionCommand extends Command<CommandAnswer> {
  constructor(
    readonly requestId: string,
    readonly reason: string,
    readonly principal: Principal,
    readonly idempotencyKey: string | null,
  ) {
    super();
  }
}

/**
 * An operator undoes a resurrection: RequestRollback through the log (see
 * LoggedCommands). The kill workflow accepts it while the module is
 * monitored, stable or anomalous (RollbackRequested, with the operator as
 * actor) and the executor then stops the module; the answer is the
 * workflow's verdict, the stop itself follows on the log.
 */
@CommandHandler(RollBackResurrectionCommand)
export class RollBackResurrectionHandler implements ICommandHandler<RollBackResurrectionCommand, CommandAnswer> {
  private readonly answers;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(METRICS) metrics: Registry,
    private readonly commands: LoggedCommands,
  ) {
    this.answers = counter(metrics, 'medic_rollback_requests_total', 'Rollback requests over REST, by answer', ['answer']);
  }

  execute(c: RollBackResurrectionCommand): Promise<CommandAnswer> {
    return countAnswer((answer) => this.answers.inc({ answer }), () => this.act(c));
  }

  private async act({ requestId: given, reason, principal, idempotencyKey }: RollBackResurrectionCommand): Promise<CommandAnswer> {
    const resurrection = await findResurrection(this.dataSource, given);
    // The request's own spelling of its id from here on: a retry in capitals is the same request.
    const requestId = resurrection.requestId;
    return this.commands.run({
      principal,
      idempotencyKey,
      request: { rollback: requestId, reason },
      command: (commandId, at) => ({ type: 'RequestRollback', commandId, killId: resurrection.killId, at: at.toISOString(), actor: principal.name, reason }),
      answer: (commandId, verdict) =>
        Promise.resolve(
          verdict === null
            ? { status: 202, data: toCommandStatusDto(commandId, null, rollbackStatusUrl(requestId, commandId)) }
            : {
                status: 200,
                data: {
                  request_id: requestId,
                  kill_id: resurrection.killId,
                  command_id: commandId,
                  rollback_status: 'requested',
                  requested_by: principal.name,
                  reason,
                  requested_at: verdict.answeredAt.toISOString(),
                },
              },
        ),
    });
  }
}
