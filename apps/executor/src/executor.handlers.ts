import { randomUUID } from 'node:crypto';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import { AUTO_APPROVER, DomainError, type ApprovalGranted, type DecisionMade, type KillEvent, type ResurrectionStarted } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import { heldBack } from './backoff/backoff';
import type { ExecutorRound } from './executor.step';

/** Where the executor's own intents come from; it acts only on those. */
export const EXECUTOR_SOURCE = 'medic/executor';

/**
 * Intent → act → record. An approved kill gets a ResurrectionStarted naming
 * its container and that container's last start, committed before the engine
 * is touched; the committed intent is then acted on, and the result recorded.
 * An intent seen again after a crash is reconciled against the container: a
 * start later than the one recorded means it happened, and nothing is started twice.
 */
@LogHandlers()
export class ExecutorHandlers {
  @EventPattern(ceTypesOf('kill', ['DecisionMade']))
  async autoApproved(@Payload() logged: LoggedEvent<DecisionMade>, @Ctx() round: ExecutorRound): Promise<void> {
    const d = logged.data.decision;
    round.remember(logged.data.killId, logged.data.targetModule);
    if (d.outcome !== 'approve_auto' || d.observeOnly) return;
    await intend(round, logged, logged.data.targetModule, AUTO_APPROVER);
  }

  @EventPattern(ceTypesOf('kill', ['ApprovalGranted']))
  async granted(@Payload() logged: LoggedEvent<ApprovalGranted>, @Ctx() round: ExecutorRound): Promise<void> {
    // The approval names the kill; its decision, seen before, named the module.
    await intend(round, logged, null, logged.data.approver);
  }

  @EventPattern(ceTypesOf('kill', ['ResurrectionStarted']))
  async act(@Payload() logged: LoggedEvent<ResurrectionStarted>, @Ctx() round: ExecutorRound): Promise<void> {
    if (logged.source !== EXECUTOR_SOURCE) return;
    const intent = logged.data;
    const at = () => round.now().toISOString();
    const failed = (reason: string, retriable: boolean): KillEvent => ({ type: 'ResurrectionFailed', killId: intent.killId, at: at(), requestId: intent.requestId, reason, retriable });
    if (intent.containerId === null) return round.append(failed(`no container for module ${intent.targetModule} (none labelled medic.module=${intent.targetModule} or named so)`, false), logged);
    const t0 = Date.now();
    try {
      const before = await round.engine.inspect(intent.containerId);
      if (before === null) return round.append(failed(`container ${intent.containerId} of ${intent.targetModule} is gone`, false), logged);
      const startedSince = before.startedAt !== null && (intent.startedAtBefore === null || before.startedAt > intent.startedAtBefore);
      if (!(before.running && startedSince)) await round.engine.start(intent.containerId);
      round.append({ type: 'ResurrectionSucceeded', killId: intent.killId, at: at(), requestId: intent.requestId, containerId: intent.containerId, action: 'start', durationMs: Date.now() - t0 }, logged);
    } catch (error) {
      round.append(failed(`the container engine refused: ${error instanceof Error ? error.message : String(error)}`, true), logged);
    }
  }
}

/** The intent to resurrect an approved kill, unless its module's backoff holds it back (see backoff/). */
export async function intend(round: ExecutorRound, logged: LoggedEvent<KillEvent>, module: string | null, approvedBy: string): Promise<void> {
  const killId = logged.data.killId;
  const target = module ?? (await round.moduleOf(killId));
  if (target === null) throw new DomainError('unknown_kill', `approval for kill ${killId}, whose decision the executor never saw`);
  if (await heldBack(round, logged, target)) return;
  const container = await round.engine.find(target);
  round.append(
    {
      type: 'ResurrectionStarted',
      killId,
      at: round.now().toISOString(),
      requestId: randomUUID(),
      targetModule: target,
      targetInstanceId: container?.name ?? target,
      approvedBy,
      attempt: 1,
      containerId: container?.id ?? null,
      startedAtBefore: container?.startedAt ?? null,
    },
    logged,
  );
}
