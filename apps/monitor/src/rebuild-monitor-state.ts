import type { Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { evolveWatch, type KillEvent, type MonitorSettings } from '@medic/domain';
import { rebuildStepState, type LoggedEvent, type RebuildResult } from '@medic/eventlog';
import { AWAITING, MONITOR_SOURCE, MONITOR_STEP } from './monitor.schema';
import { closedBeforeWatch, FOLLOWED_TYPES, followKill, lockRows, saveRows, withWatch, type FollowedEvent, type WatchRow } from './watch-rows';

export const MONITOR_STATE_NAME = 'monitor.watches';

const FOLLOWED = new Set<string>(FOLLOWED_TYPES);
/** What the monitor appends: its checks, verdicts and outcomes. */
const OWN = new Set<string>(['HealthChecked', 'AnomalyDetected', 'StabilityConfirmed', 'OutcomeRecorded']);

/**
 * Drops the monitor's watches and folds them again from the kill log in one
 * transaction: the decisions, resurrections and rollbacks its step has read
 * (see followKill), and what the monitor appended itself (every health
 * check, verdict and outcome, see evolveWatch), including what its committed
 * rounds have yet to append. A re-kill or a rollback's result counts through
 * the outcome the monitor recorded for it, not by being judged again.
 */
export function rebuildMonitorState(args: { readonly kafka: Kafka; readonly dataSource: DataSource; readonly killEventsTopic: string; readonly deadLetterTopic: string; readonly settings: MonitorSettings }): Promise<RebuildResult> {
  return rebuildStepState({
    name: MONITOR_STATE_NAME,
    kafka: args.kafka,
    dataSource: args.dataSource,
    tables: ['watches'],
    stream: 'kill',
    topic: args.killEventsTopic,
    deadLetterTopic: args.deadLetterTopic,
    step: MONITOR_STEP,
    ownSources: [MONITOR_SOURCE],
    pendingOf: [MONITOR_STEP],
    wanted: (type) => FOLLOWED.has(type) || OWN.has(type),
    fold: (tx, events) => fold(tx, events, args.settings),
  });
}

function isFollowed(logged: LoggedEvent<KillEvent>): logged is LoggedEvent<FollowedEvent> {
  return FOLLOWED.has(logged.data.type);
}

async function fold(tx: EntityManager, events: readonly LoggedEvent<KillEvent>[], settings: MonitorSettings): Promise<number> {
  if (events.length === 0) return 0;
  const rows = new Map((await lockRows(tx, events.map((e) => e.data.killId), [])).map((r) => [r.killId, r]));
  const changed = new Set<string>();
  let applied = 0;
  for (const logged of events) {
    const e = logged.data;
    const row = rows.get(e.killId) ?? null;
    let next: WatchRow | null = null;
    if (logged.source === MONITOR_SOURCE && OWN.has(e.type)) {
      // An outcome before any watch: the resurrection failed for good (see MonitorHandlers.failed).
      if (e.type === 'OutcomeRecorded' && row?.phase === AWAITING) next = closedBeforeWatch(row);
      else next = row?.watch ? withWatch(row, evolveWatch(row.watch, e, settings)) : null;
    } else if (isFollowed(logged)) {
      next = followKill(row, logged, settings);
    }
    if (next === null) continue;
    rows.set(next.killId, next);
    changed.add(next.killId);
    applied += 1;
  }
  await saveRows(tx, [...changed].map((id) => rows.get(id)!));
  return applied;
}
