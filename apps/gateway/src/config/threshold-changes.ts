import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ControlEvent, RiskLevel, RiskThresholds } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';

/** Every ThresholdsUpdated on the control log, for the audit trail of who set which thresholds when and why. */
@Entity({ name: 'threshold_changes' })
export class ThresholdChangeView {
  /** The event's id (ce_id): a record read twice is one change. */
  @PrimaryColumn('text', { name: 'event_id' }) eventId!: string;
  @Column('timestamptz', { name: 'changed_at' }) changedAt!: Date;
  @Column('text', { name: 'actor' }) actor!: string;
  @Column('text', { name: 'reason' }) reason!: string;
  @Column('jsonb', { name: 'thresholds' }) thresholds!: RiskThresholds;
  @Column('text', { name: 'max_risk_level' }) maxRiskLevel!: RiskLevel;
  @Column('double precision', { name: 'min_confidence' }) minConfidence!: number;
}

export const THRESHOLD_CHANGES_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.threshold_changes (
    event_id text PRIMARY KEY,
    changed_at timestamptz NOT NULL,
    actor text NOT NULL,
    reason text NOT NULL,
    thresholds jsonb NOT NULL,
    max_risk_level text NOT NULL,
    min_confidence double precision NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS threshold_changes_recent ON {schema}.threshold_changes (changed_at DESC, actor)`,
];

export const thresholdChangesProjection: StreamProjection<'control', ThresholdChangeView> = {
  name: 'gateway.threshold_changes',
  entity: ThresholdChangeView,
  read: readStream('control', ['ThresholdsUpdated']),
  keyOf: (e) => e.id,
  evolve: (row, logged: LoggedEvent<ControlEvent>) => {
    const e = logged.data;
    if (row !== null || e.type !== 'ThresholdsUpdated') return row;
    return Object.assign(new ThresholdChangeView(), {
      eventId: logged.id,
      changedAt: new Date(e.at),
      actor: e.actor,
      reason: e.reason,
      thresholds: e.thresholds,
      maxRiskLevel: e.maxRiskLevel,
      minConfidence: e.minConfidence,
    });
  },
};
