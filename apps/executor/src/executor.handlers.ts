import { randomUUID } from 'node:crypto';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ceTypesOf } from '@medic/contracts';
import { EngineUnavailable, inspectOrUnreadable, UnreadableContainer, type ModuleTarget } from '@medic/containers';
import { afterRefusal, AUTO_APPROVER, DomainError, staleAuthorization, staleIntent, staleRetry, type ApprovalGranted, type DecisionMade, type KillEvent, type KillReported, type ResurrectionFailed, type ResurrectionResumed, type ResurrectionStarted, type VetoCleared } from '@medic/domain';
import { LogHandlers, type LoggedEvent } from '@medic/eventlog';
import { crashPoint } from '@medic/observability';
import { heldBack } from './backoff/backoff';
import { cascadeKillOf, waitsForDependencies, waitsForVerdict } from './cascade/cascade';
import type { DecidedKill, ExecutorRound } from './executor.step';

/** Where the executor's own intents come from; it acts only on those. */
export const EXECUTOR_SOURCE = 'medic/executor';

/**
 * Intent → act → record. An approved kill gets a ResurrectionStarted naming
 * its container and that container's last start, committed before the engine
 * is touched; the committed intent is then acted on, and the result recorded.
 * An intent seen again after a crash is reconciled against the container: a
 * start later than the one recorded means it happened, and nothing is started twice.
 * A module whose container is gone is made again from the spec kept when it was killed.
 * A start the engine refused is tried again once the kill workflow's timer says
 * its wait is over (see retryAttempt): the executor never sleeps in its round.
 */
@LogHandlers()
export class ExecutorHandlers {
  @EventPattern(ceTypesOf('kill', ['KillReported']))
  killed(@Payload() logged: LoggedEvent<KillReported>, @Ctx() round: ExecutorRound): void {
    // Its container's spec is kept while the container still exists (stopped, as Smith leaves it).
    const { targetModule, targetInstanceId } = logged.data.report;
    round.killedModule(logged.data.killId, { module: targetModule, instance: targetInstanceId }, logged.data.at);
  }

  @EventPattern(ceTypesOf('kill', ['DecisionMade']))
  async autoApproved(@Payload() logged: LoggedEvent<DecisionMade>, @Ctx() round: ExecutorRound): Promise<void> {
    const d = logged.data.decision;
    if (d.outcome !== 'approve_auto' || d.observeOnly || round.settings.vetoProtocol) return;
    const target = { module: logged.data.targetModule, instance: logged.data.targetInstanceId };
    await intend(round, logged, AUTO_APPROVER, { target, validMinutes: round.validMinutes(d.timeoutMinutes), containerId: null });
  }

  @EventPattern(ceTypesOf('kill', ['ApprovalGranted']))
  async granted(@Payload() logged: LoggedEvent<ApprovalGranted>, @Ctx() round: ExecutorRound): Promise<void> {
    if (round.settings.vetoProtocol) return;
    // The approval names the kill; its decision, seen before, named the module.
    await intend(round, logged, logged.data.approver);
  }

  /** With the veto protocol on, an approval waits for Smith: the negotiator's VetoCleared sets it going. */
  @EventPattern(ceTypesOf('kill', ['VetoCleared']))
  async cleared(@Payload() logged: LoggedEvent<VetoCleared>, @Ctx() round: ExecutorRound): Promise<void> {
    if (!round.settings.vetoProtocol) return;
    await intend(round, logged, logged.data.approvedBy);
  }

  @EventPattern(ceTypesOf('kill', ['ResurrectionStarted']))
  act(@Payload() logged: LoggedEvent<ResurrectionStarted>, @Ctx() round: ExecutorRound): void {
    if (logged.source !== EXECUTOR_SOURCE) return;
    const intent = logged.data;
    round.later(() => actOn(round, intent, logged));
  }

}

/**
 * The retry of a start the engine refused, once the kill workflow's timer says its wait is over
 * (ResurrectionResumed naming the attempt): that attempt's intent, unless the executor comes to it
 * later than the decision's validity window after it was due (it, or the workflow, was down).
 */
export async function retryAttempt(round: ExecutorRound, logged: LoggedEvent<ResurrectionResumed>): Promise<void> {
  const { killId, attempt, notBefore, approvedBy } = logged.data;
  const decided = await round.decidedKill(killId);
  if (decided === null) throw new DomainError('unknown_kill', `retry of kill ${killId}, whose decision the executor never saw`);
  crashPoint('executor.before-retry');
  const now = round.now().toISOString();
  const stale = staleRetry(notBefore, attempt, decided.validMinutes, now);
  if (stale !== null) {
    round.append({ type: 'ResurrectionFailed', killId, at: now, requestId: randomUUID(), targetModule: decided.target.module, approvedBy, attempt: null, reason: stale, retriable: false }, logged);
    return;
  }
  writeIntent(round, logged, decided.target, approvedBy, attempt);
}

/**
 * The act and its record: the engine's refusal is a retriable failure with the
 * engine's words. An engine that does not answer at all fails the round
 * instead, which is tried again with backoff until it answers: the act is
 * idempotent (a container started since the intent is not started again).
 */
async function actOn(round: ExecutorRound, intent: ResurrectionStarted, logged: LoggedEvent<ResurrectionStarted>): Promise<void> {
  // Asked again at the act: an intent written before the module was blacklisted (its executor restarted with the
  // new list after a crash, or a retry of a refused start) must not start it either.
  if (round.settings.blacklistedModules.includes(intent.targetModule)) {
    const reason = `${blacklisted(intent.targetModule)}; attempt ${intent.attempt} was not made`;
    round.append({ ...failure(intent, round), reason, retriable: false }, logged);
    return;
  }
  const t0 = Date.now();
  try {
    // The intent is committed and read back: a crash here leaves it without an act.
    crashPoint('executor.before-act');
    // Come to long after it was written (a crash, then an outage): a start not yet made is not made.
    const validMinutes = (await round.decidedKill(intent.killId))?.validMinutes ?? null;
    const late = validMinutes === null ? null : staleIntent(intent.at, intent.attempt, validMinutes, round.now().toISOString());
    const done = await bringBack(round, intent, late);
    // Acted on, not yet recorded: the restart must see that the act happened.
    crashPoint('executor.after-act');
    const result: KillEvent =
      'reason' in done
        ? { ...failure(intent, round), reason: done.reason, retriable: false }
        : { type: 'ResurrectionSucceeded', killId: intent.killId, at: round.now().toISOString(), requestId: intent.requestId, containerId: done.containerId, action: done.action, durationMs: Date.now() - t0 };
    round.append(result, logged);
  } catch (error) {
    if (error instanceof EngineUnavailable) throw error;
    const next = afterRefusal(intent.attempt, round.settings.maxRetryAttempts);
    const reason = `the container engine refused: ${error instanceof Error ? error.message : String(error)} (${next.note})`;
    round.append({ ...failure(intent, round), reason, retriable: next.retriable }, logged);
  }
}

/** Why a blacklisted module is not brought back, at the approval or at the act. */
function blacklisted(module: string): string {
  return `module ${module} is blacklisted (constraints.blacklisted_modules): it is never brought back, whoever approved it`;
}

function failure(intent: ResurrectionStarted, round: ExecutorRound): Omit<ResurrectionFailed, 'reason' | 'retriable'> {
  const { killId, requestId, targetModule, approvedBy, attempt } = intent;
  return { type: 'ResurrectionFailed', killId, at: round.now().toISOString(), requestId, targetModule, approvedBy, attempt };
}

type BroughtBack = { readonly containerId: string; readonly action: 'start' | 'recreate' } | { readonly reason: string };

/**
 * Acts on one intent: starts its container unless it started since the intent was written.
 * When the container is gone, it is made again from the spec kept when the instance was
 * killed, unless a container by that spec's name exists (made by an earlier try of this
 * intent, whose record a crash lost), which is started instead. With no spec kept, a
 * container the module has now is started. With `late` (why the intent is too old to act
 * on), a start already made is still recorded, and none is made.
 */
async function bringBack(round: ExecutorRound, intent: ResurrectionStarted, late: string | null): Promise<BroughtBack> {
  const module = intent.targetModule;
  const target = { module, instance: intent.targetInstanceId };
  const named = intent.containerId === null ? null : await round.engine.inspect(intent.containerId);
  if (named !== null) {
    const startedSince = named.startedAt !== null && (intent.startedAtBefore === null || named.startedAt > intent.startedAtBefore);
    // Started since the intent: this request's start happened (if the module fell over since, the monitor sees it).
    if (!startedSince) {
      if (late !== null) return { reason: late };
      await round.engine.start(named.id);
    }
    return { containerId: named.id, action: 'start' };
  }
  const snapshot = await round.snapshotOf(target);
  const current = snapshot === null ? await round.engine.find(target) : await round.engine.inspect(snapshot.spec.name);
  if (current !== null) {
    if (!(current.startedAt !== null && current.startedAt > intent.at)) {
      if (late !== null) return { reason: late };
      // Made from the spec by an earlier try whose joins a crash cut short, it joins them now.
      if (snapshot !== null) await round.snapshots.joinNetworks(current.id, snapshot.spec.networks);
      await round.engine.start(current.id);
    }
    return { containerId: current.id, action: 'start' };
  }
  if (snapshot === null) {
    const gone = intent.containerId === null ? `no container for module ${module} (none labelled medic.module=${module} or named so)` : `container ${intent.containerId} of ${module} is gone`;
    return { reason: `${gone}, and no snapshot of its spec was taken when it was killed, so it cannot be made again` };
  }
  if (late !== null) return { reason: late };
  const id = await round.snapshots.recreate(snapshot.spec);
  await round.engine.start(id);
  return { containerId: id, action: 'recreate' };
}

/**
 * The intent to resurrect a kill, authorized by `logged` (an auto-approval, a
 * human's approval, Smith's all-clear, the end of a backoff), unless its module
 * is blacklisted, the authorization is older than the decision's validity
 * window, it waits for the monitor's verdict on an earlier resurrection of its
 * module (see cascade/), its backoff holds it back or a quarantine refuses an
 * automatic approval (see backoff/), or it waits for a module it depends on,
 * killed in the same cascade (see cascade/). `decided` is the kill's
 * decision when the authorization is the decision itself; otherwise the one
 * folded earlier is looked up.
 */
export async function intend(round: ExecutorRound, logged: LoggedEvent<KillEvent>, approvedBy: string, decided: DecidedKill | null = null): Promise<void> {
  const killId = logged.data.killId;
  const decision = decided ?? (await round.decidedKill(killId));
  if (decision === null) throw new DomainError('unknown_kill', `approval for kill ${killId}, whose decision the executor never saw`);
  const target = decision.target.module;
  const at = round.now().toISOString();
  // Refused before anything is started: the request is known by its module and approver alone.
  const refuse = (reason: string) =>
    round.append({ type: 'ResurrectionFailed', killId, at, requestId: randomUUID(), reason, retriable: false, targetModule: target, approvedBy, attempt: null }, logged);
  if (round.settings.blacklistedModules.includes(target)) {
    refuse(blacklisted(target));
    return;
  }
  const stale = staleAuthorization(logged.data.at, decision.validMinutes, at);
  if (stale !== null) {
    refuse(stale);
    return;
  }
  // The monitor's verdict on an earlier resurrection of the module first: a re-kill changes its standing.
  const ordered = await cascadeKillOf(round, killId);
  if (await waitsForVerdict(round, logged, ordered)) return;
  if (await heldBack(round, logged, target, approvedBy)) return;
  if (await waitsForDependencies(round, logged, ordered)) return;
  writeIntent(round, logged, decision.target, approvedBy, 1);
}

/** The intent of one attempt, written once the round's containers are looked up together (one listing of the engine for all). */
function writeIntent(round: ExecutorRound, logged: LoggedEvent<KillEvent>, target: ModuleTarget, approvedBy: string, attempt: number): void {
  const { killId } = logged.data;
  round.intendOn(target, async (located) => {
    // The container snapshotted when the instance was killed is the one to bring back while it exists
    // (another of the module's may be what was found); gone, it is made again from that snapshot.
    const own = await round.instanceSnapshot(target);
    const container = own === null || own.containerId === located?.id ? located : await inspectOrUnreadable(round.engine, own.containerId);
    // The engine failed to describe it: this attempt is not made, and counts as refused (tried again while attempts are left).
    if (container instanceof UnreadableContainer) {
      const next = afterRefusal(attempt, round.settings.maxRetryAttempts);
      const reason = `the container engine failed to describe container ${container.id} of ${target.module}, so attempt ${attempt} was not made: ${container.error.message} (${next.note})`;
      round.append({ type: 'ResurrectionFailed', killId, at: round.now().toISOString(), requestId: randomUUID(), targetModule: target.module, approvedBy, attempt, reason, retriable: next.retriable }, logged);
      return;
    }
    const snapshot = container === null ? (own ?? (await round.latestSnapshot(target.module))) : null;
    round.append(
      {
        type: 'ResurrectionStarted',
        killId,
        at: round.now().toISOString(),
        requestId: randomUUID(),
        targetModule: target.module,
        // The instance Smith named; for a decision that did not carry it, the container found.
        targetInstanceId: target.instance ?? container?.name ?? target.module,
        approvedBy,
        attempt,
        // With no container, the snapshot's (gone) container is named, and the intent is to make it again.
        containerId: container?.id ?? snapshot?.containerId ?? null,
        startedAtBefore: container?.startedAt ?? null,
        fromSnapshot: container === null && snapshot !== null,
      },
      logged,
    );
  });
}
