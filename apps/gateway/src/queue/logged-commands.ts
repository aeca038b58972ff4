import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import type { LoggedKillCommand } from '@medic/domain';
import { apiEnvelope, ApiError, DATA_SOURCE, httpStatusOf, MEDIC_CONFIG } from '@medic/eventlog';
import type { Principal } from '../auth/api-keys';
import { requestDeadlineMs } from '../http/deadline.interceptor';
import { CommandVerdict } from './command-verdict.entity';
import { CommandSender } from './command-sender';
import { IdempotencyStore, replayedError, requestHash, storedError, type StoredAnswer } from './idempotency';
import { SentCommands } from './sent-commands';
import { VerdictWaiter } from './verdict-waiter';

/**
 * How long a POST waits for the workflow's verdict before answering 202 with
 * a status URL: 5 s, or half the request deadline when that is shorter, so the
 * 202 comes before the deadline's 503.
 */
export const VERDICT_WAIT_MS = 5_000;

/** What a POST that sends a kill command answers: 200 with the new state, or 202 with where to look later. */
export interface CommandAnswer {
  readonly status: 200 | 202;
  readonly data: unknown;
}

export interface LoggedCommandRequest {
  readonly principal: Principal;
  readonly idempotencyKey: string | null;
  /** What the Idempotency-Key is bound to: a retry with the key must ask the same. */
  readonly request: unknown;
  /** The command to send, under this id and time. */
  command(commandId: string, at: Date): LoggedKillCommand;
  /** The answer to an accepted command (verdict given) or to one still unanswered (null: a 202). */
  answer(commandId: string, verdict: CommandVerdict | null): Promise<CommandAnswer>;
}

/**
 * An operator's command through the log: the gateway only asks. The command
 * goes to medic.kill.commands, the kill workflow answers it on the log, and
 * the HTTP answer is that verdict (a rejection is a 409 with the workflow's
 * reason), or a 202 when none came in time. With an Idempotency-Key a retry
 * gets the first final answer back, and a command is sent once per key.
 */
@Injectable()
export class LoggedCommands {
  private readonly idempotency: IdempotencyStore;
  private readonly sent: SentCommands;
  private readonly verdictWaitMs: number;

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(MEDIC_CONFIG) config: MedicConfig,
    private readonly sender: CommandSender,
    private readonly verdicts: VerdictWaiter,
  ) {
    this.idempotency = new IdempotencyStore(dataSource);
    this.sent = new SentCommands(dataSource);
    this.verdictWaitMs = Math.min(VERDICT_WAIT_MS, requestDeadlineMs(config) / 2);
  }

  async run(r: LoggedCommandRequest): Promise<CommandAnswer> {
    const { principal, idempotencyKey } = r;
    const now = new Date();
    if (idempotencyKey === null) {
      const commandId = randomUUID();
      await this.send(r.command(commandId, now));
      return this.answer(r, commandId, await this.verdicts.wait(commandId, this.verdictWaitMs));
    }

    const claim = await this.idempotency.claim(principal.name, idempotencyKey, requestHash(r.request), now);
    if (claim.kind === 'answered') return replay(claim.status, claim.answer);
    if (claim.kind !== 'wait') {
      try {
        await this.send(r.command(claim.commandId, now));
      } catch (error) {
        await this.idempotency.release(principal.name, idempotencyKey).catch(() => undefined);
        throw error;
      }
      await this.idempotency.markSent(principal.name, idempotencyKey);
    }
    try {
      const answer = await this.answer(r, claim.commandId, await this.verdicts.wait(claim.commandId, this.verdictWaitMs));
      if (answer.status === 200) await this.idempotency.record(principal.name, idempotencyKey, 200, { data: answer.data });
      return answer;
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        await this.idempotency.record(principal.name, idempotencyKey, 409, storedError(error));
      }
      throw error;
    }
  }

  private async send(command: LoggedKillCommand): Promise<void> {
    await this.sent.noteSending(command.commandId, command.killId, new Date(command.at));
    try {
      await this.sender.send(command);
    } catch (error) {
      await this.sent.forget(command.commandId).catch(() => undefined);
      throw new ApiError(503, 'unavailable', `the event log did not take the command: ${error instanceof Error ? error.message : String(error)}; nothing was done, try again`);
    }
  }

  private answer(r: LoggedCommandRequest, commandId: string, verdict: CommandVerdict | null): Promise<CommandAnswer> {
    if (verdict?.verdict === 'rejected') throw new ApiError(409, verdict.code ?? 'conflict', verdict.reason ?? 'the workflow rejected the command');
    return r.answer(commandId, verdict);
  }
}

/** Runs `act` and counts its answer: the HTTP status it gets (503 for Postgres or Kafka unreachable, 500 for an unexpected error). */
export async function countAnswer(count: (answer: string) => void, act: () => Promise<CommandAnswer>): Promise<CommandAnswer> {
  try {
    const answer = await act();
    count(String(answer.status));
    return answer;
  } catch (error) {
    count(String(httpStatusOf(error)));
    throw error;
  }
}

/** Sends the answer in the envelope with its status (200, or 202 with the status URL as Location): it depends on the verdict, so Nest cannot. */
export function sendCommandAnswer(req: Request, res: Response, answer: CommandAnswer): void {
  if (answer.status === 202) res.setHeader('Location', (answer.data as { status_url: string }).status_url);
  res.status(answer.status).json(apiEnvelope(req, answer.data));
}

/**
 * The verdict on a command sent about `killId`, or null while it waits for
 * one; a command about another kill, or one never sent through this API (or
 * sent over a day ago and never answered), is a 404.
 */
export async function verdictAbout(dataSource: DataSource, killId: string, commandId: string, what: string): Promise<CommandVerdict | null> {
  const verdict = await dataSource.getRepository(CommandVerdict).findOneBy({ commandId });
  if (verdict ? verdict.killId !== killId : !(await new SentCommands(dataSource).wasSent(commandId, killId))) {
    throw new ApiError(404, 'not_found', `no command ${commandId} for ${what}`);
  }
  return verdict;
}

function replay(status: number, answer: StoredAnswer): CommandAnswer {
  if ('error' in answer) throw replayedError(status, answer);
  return { status: 200, data: answer.data };
}
