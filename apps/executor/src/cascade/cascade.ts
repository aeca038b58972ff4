import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { DEPENDENCIES_ACTOR, dependencyWait, dependencyWaitOver, evolveCascadeKill, verdictWait, type CascadeKill, type DependencyWait, type KillEvent } from '@medic/domain';
import { ceTypesOf } from '@medic/contracts';
import { decodeRecords, header, readStream, type LoggedEvent, type RawRecords, type StreamProjection } from '@medic/eventlog';
import type { ExecutorRound } from '../executor.step';
import { CascadeKillRow } from '../executor.schema';

/** The kill events that say a kill's module came back, or will not on this kill. */
export const CASCADE_SETTLING = ['ResurrectionSucceeded', 'ResurrectionFailed', 'DecisionMade', 'ApprovalDenied', 'ApprovalExpired', 'ResurrectionVetoed'] as const;

/**
 * What the cascade projection folds: the report, what settles a kill, a resurrection held back,
 * resumed or started, and the monitor's first check of it and its verdict.
 */
export const CASCADE_FOLDED = ['KillReported', ...CASCADE_SETTLING, 'ResurrectionDeferred', 'ResurrectionResumed', 'ResurrectionStarted', 'HealthChecked', 'OutcomeRecorded'] as const;

/**
 * Each kill's place in a cascade (projection "executor.cascade_kills"), folded in the
 * executor step's own transaction before its handlers run, like its other projections.
 */
export const CASCADE_KILLS: StreamProjection<'kill', CascadeKillRow> = {
  name: 'executor.cascade_kills',
  // 2: when each resurrection succeeded (the verdict wait counts those the monitor is to watch).
  version: 2,
  entity: CascadeKillRow,
  read: readStream('kill', CASCADE_FOLDED),
  keyOf: (e) => e.data.killId,
  evolve: (row, logged: LoggedEvent<KillEvent>) => {
    const facts = row === null ? null : cascadeKill(row);
    const next = evolveCascadeKill(facts, logged.data);
    if (next === null) return null;
    if (next === facts) return row;
    return Object.assign(new CascadeKillRow(), {
      killId: next.killId,
      targetModule: next.module,
      dependents: [...next.dependents],
      reportedAt: new Date(next.reportedAt),
      doneAt: date(next.doneAt),
      waitingFor: [...next.waitsFor],
      startedAt: date(next.startedAt),
      succeededAt: date(next.succeededAt ?? null),
      watchedAt: date(next.watchedAt),
      verdictAt: date(next.verdictAt),
    });
  },
};

function cascadeKill(row: CascadeKillRow): CascadeKill {
  return {
    killId: row.killId,
    module: row.targetModule,
    dependents: row.dependents,
    reportedAt: row.reportedAt.toISOString(),
    doneAt: iso(row.doneAt),
    waitsFor: row.waitingFor ?? [],
    startedAt: iso(row.startedAt),
    succeededAt: iso(row.succeededAt),
    watchedAt: iso(row.watchedAt),
    verdictAt: iso(row.verdictAt),
  };
}

const date = (t: string | null): Date | null => (t === null ? null : new Date(t));
const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/**
 * Holds an approved resurrection back while a module its module depends on, killed in the
 * same cascade, may still come back: appends ResurrectionDeferred naming those kills (the
 * kill stays APPROVED). It looks again as soon as they are settled (see `wakeDependents`),
 * or when the kill workflow's timer resumes it. Returns false when it may start now
 * (nothing to wait for, the wait is over, or the kill was reported before the executor
 * kept cascades).
 */
export async function waitsForDependencies(round: ExecutorRound, cause: LoggedEvent<KillEvent>, dependent: CascadeKill | null): Promise<boolean> {
  const { cascade } = round.settings;
  if (cascade.windowSeconds <= 0 || dependent === null) return false;
  const windowMs = cascade.windowSeconds * 1000;
  const reportedAt = Date.parse(dependent.reportedAt);
  const upstream = await round.tx
    .createQueryBuilder(CascadeKillRow, 'k')
    .where(':module = ANY(k.dependents)', { module: dependent.module })
    .andWhere('k.done_at IS NULL')
    .andWhere('k.reported_at BETWEEN :from AND :to', { from: new Date(reportedAt - windowMs), to: new Date(reportedAt + windowMs) })
    .getMany();
  return holdsBack(round, cause, dependencyWait(dependent, upstream.map(cascadeKill), cascade, round.now().toISOString()));
}

/**
 * Holds an approved resurrection back while the monitor has not yet given its verdict on an
 * earlier resurrection of the same module that it watched, or was to watch, when this kill
 * came (see the domain's `verdictWait`): appends ResurrectionDeferred naming those kills. In a
 * stack where the monitor was never seen at work, nothing waits. It looks again as
 * soon as the verdict is recorded (see `wakeDependents`), when the module's backoff and
 * quarantine count the re-kill, or when the kill workflow's timer resumes it.
 */
export async function waitsForVerdict(round: ExecutorRound, cause: LoggedEvent<KillEvent>, kill: CascadeKill | null): Promise<boolean> {
  if (kill === null) return false;
  const seen = await monitorSeen(round);
  if (!seen) return false;
  const unjudged = await round.tx
    .createQueryBuilder(CascadeKillRow, 'k')
    .where('k.target_module = :module', { module: kill.module })
    .andWhere('k.verdict_at IS NULL AND (k.watched_at IS NOT NULL OR k.succeeded_at IS NOT NULL)')
    .andWhere('k.kill_id <> :killId', { killId: kill.killId })
    .getMany();
  if (unjudged.length === 0) return false;
  return holdsBack(round, cause, verdictWait(kill, unjudged.map(cascadeKill), round.settings.cascade, round.now().toISOString(), seen));
}

/** Whether the monitor was ever seen checking a resurrection in this stack (a stack without it never waits for its verdicts). */
async function monitorSeen(round: ExecutorRound): Promise<boolean> {
  const [row] = await round.tx.query<{ seen: boolean }[]>('SELECT EXISTS (SELECT 1 FROM cascade_kills WHERE watched_at IS NOT NULL) AS seen');
  return row?.seen === true;
}

/** A kill's place in the order of resurrections; null for one reported before the executor kept it. */
export async function cascadeKillOf(round: ExecutorRound, killId: string): Promise<CascadeKill | null> {
  const row = await round.tx.findOneBy(CascadeKillRow, { killId });
  return row === null ? null : cascadeKill(row);
}

function holdsBack(round: ExecutorRound, cause: LoggedEvent<KillEvent>, wait: DependencyWait | null): boolean {
  if (wait === null) return false;
  const { killId } = cause.data;
  round.append({ type: 'ResurrectionDeferred', killId, at: round.now().toISOString(), notBefore: wait.notBefore, reason: wait.reason, attempt: 0, waitsForKillIds: wait.waitsFor.map((k) => k.killId) }, cause);
  return true;
}

/**
 * The records after which a held-back kill may look again: one settling a kill it waits for, the
 * monitor's verdict on one, or its own holding back (they may have settled since).
 */
const WAKING = new Set<string>(ceTypesOf('kill', [...CASCADE_SETTLING, 'OutcomeRecorded', 'ResurrectionDeferred']));

/**
 * A dependent held back for the modules it depends on goes ahead as soon as the
 * last of them is settled, not at its next look (and a kill held back for the
 * monitor's verdict on an earlier resurrection of its module, as soon as that
 * is recorded): once the batch is folded, each kill whose wait is over is sent
 * ResumeResurrection (actor `executor:dependencies`) on the command log, in the
 * round's transaction. The kill workflow resumes it once (a timer firing too is
 * refused), and the executor checks everything again before it starts it.
 */
export async function wakeDependents(round: ExecutorRound, batch: RawRecords): Promise<void> {
  const waking = batch.messages.filter((m) => WAKING.has(header(m.headers, 'ce_type') ?? ''));
  const ids = [...new Set(waking.map((m) => header(m.headers, 'ce_subject')).filter((id): id is string => id !== null))];
  if (ids.length === 0) return;
  const waiting = await round.tx
    .createQueryBuilder(CascadeKillRow, 'k')
    .where('cardinality(k.waiting_for) > 0')
    .andWhere('k.done_at IS NULL')
    .andWhere('(k.waiting_for && :ids::text[] OR k.kill_id = ANY(:ids::text[]))', { ids })
    .getMany();
  if (waiting.length === 0) return;
  const waitedFor = await round.tx.findBy(CascadeKillRow, { killId: In([...new Set(waiting.flatMap((w) => w.waitingFor))]) });
  const kills = new Map(waitedFor.map((row) => [row.killId, cascadeKill(row)]));
  const freed = waiting.map(cascadeKill).filter((dependent) => dependencyWaitOver(dependent, kills));
  if (freed.length === 0) return;
  // Decoded only now, and only the records that may have freed one, to name the cause.
  const { events } = decodeRecords('kill', { ...batch, messages: waking });
  const at = round.now().toISOString();
  for (const dependent of freed) {
    const causes = events.filter((e) => e.data.killId === dependent.killId || dependent.waitsFor.includes(e.data.killId));
    const cause = causes[causes.length - 1];
    if (cause === undefined) continue;
    round.command({ type: 'ResumeResurrection', commandId: randomUUID(), killId: dependent.killId, at, actor: DEPENDENCIES_ACTOR }, cause);
  }
}
