import { Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import { toMonitorSettings, type MedicConfig } from '@medic/config';
import { ceTypesOf } from '@medic/contracts';
import { EngineUnavailable } from '@medic/containers';
import { anomalyReason, AUTO_ROLLBACK_ACTOR, DomainError, type AnomalyDetected, type KillEvent, type KillEventType, type RollbackRequested, type RollbackStarted } from '@medic/domain';
import { LogHandlers, MEDIC_CONFIG, type LoggedEvent } from '@medic/eventlog';
import { EXECUTOR_SOURCE } from './executor.handlers';
import type { ExecutorRound } from './executor.step';

/** The kill events the rollback handlers act on. */
export const ROLLBACK_ACTED_ON = ['AnomalyDetected', 'RollbackRequested', 'RollbackStarted'] as const satisfies readonly KillEventType[];

/** How long a module gets to stop on SIGTERM before the engine kills it. */
const STOP_GRACE_SECONDS = 10;

/**
 * Rollback, intent → act → record, like a resurrection: RollbackStarted
 * names the container and is committed before the engine is touched, then
 * the committed intent is acted on (the container stopped) and the result
 * recorded. The policy rolls back on an anomaly when
 * resurrection.rollback.enabled and auto_trigger_on_anomaly are set; an
 * operator's accepted request (RollbackRequested) always is. A kill is
 * rolled back once: a second trigger (an operator asking while the policy
 * already acts) is passed over. Stopping is idempotent, so an intent seen
 * again after a crash is simply acted on again.
 */
@LogHandlers()
export class RollbackHandlers {
  private readonly autoRollback: boolean;

  constructor(@Inject(MEDIC_CONFIG) config: MedicConfig) {
    this.autoRollback = toMonitorSettings(config).autoRollback;
  }

  @EventPattern(ceTypesOf('kill', ['AnomalyDetected']))
  async anomaly(@Payload() logged: LoggedEvent<AnomalyDetected>, @Ctx() round: ExecutorRound): Promise<void> {
    if (!this.autoRollback) return;
    await intendRollback(round, logged, AUTO_ROLLBACK_ACTOR, anomalyReason(logged.data));
  }

  @EventPattern(ceTypesOf('kill', ['RollbackRequested']))
  async requested(@Payload() logged: LoggedEvent<RollbackRequested>, @Ctx() round: ExecutorRound): Promise<void> {
    await intendRollback(round, logged, logged.data.actor, logged.data.reason);
  }

  @EventPattern(ceTypesOf('kill', ['RollbackStarted']))
  async act(@Payload() logged: LoggedEvent<RollbackStarted>, @Ctx() round: ExecutorRound): Promise<void> {
    if (logged.source !== EXECUTOR_SOURCE) return;
    const intent = logged.data;
    const failed = (reason: string): KillEvent => ({ type: 'RollbackFailed', killId: intent.killId, at: round.now().toISOString(), requestId: intent.requestId, reason });
    if (intent.containerId === null) return round.append(failed('no container to stop: none was found for the module when the rollback began'), logged);
    try {
      await round.engine.stop(intent.containerId, STOP_GRACE_SECONDS);
      round.append({ type: 'RollbackCompleted', killId: intent.killId, at: round.now().toISOString(), requestId: intent.requestId }, logged);
    } catch (error) {
      // An engine that does not answer fails the round, tried again until it does (stopping twice is harmless).
      if (error instanceof EngineUnavailable) throw error;
      round.append(failed(`the container engine refused to stop ${intent.containerId}: ${error instanceof Error ? error.message : String(error)}`), logged);
    }
  }
}

async function intendRollback(round: ExecutorRound, logged: LoggedEvent<AnomalyDetected | RollbackRequested>, actor: string, reason: string): Promise<void> {
  const { killId, requestId } = logged.data;
  // The claim and the intent carry one time, so the claims folded again from the intents are the same rows.
  const at = round.now();
  // Looked at before the claim: a rollback refused for an unknown kill is dead-lettered, and must not leave a
  // claim behind that would pass over every later rollback of the kill (and that a rebuild would not make).
  const decided = await round.decidedKill(killId);
  if (decided === null) throw new DomainError('unknown_kill', `rollback of kill ${killId}, whose decision the executor never saw`);
  if (!(await claimRollback(round.tx, killId, requestId, actor, at))) return;
  // The container its resurrection brought back; for one resurrected before that was kept, the instance's container found now.
  const containerId = decided.containerId ?? (await round.engine.find(decided.target))?.id ?? null;
  round.append({ type: 'RollbackStarted', killId, at: at.toISOString(), requestId, reason, actor, containerId }, logged);
}

/**
 * True for the first rollback of a kill; false when one was already started.
 * The row is the executor's RollbackStarted, kept where the next round finds
 * it (see rebuildRollbackClaims).
 */
export async function claimRollback(tx: EntityManager, killId: string, requestId: string, actor: string, at: Date): Promise<boolean> {
  const inserted = await tx.query<unknown[]>(
    `INSERT INTO kill_rollbacks (kill_id, request_id, actor, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kill_id) DO NOTHING RETURNING kill_id`,
    [killId, requestId, actor, at.toISOString()],
  );
  return inserted.length > 0;
}
