import { Entity, PrimaryColumn } from 'typeorm';
import { thresholdsSetBy, type ControlEvent } from '@medic/domain';
import { readStream, type LoggedEvent, type StreamProjection } from '@medic/eventlog';
import { THRESHOLDS_SET_COLUMNS_SQL, thresholdsSetOf, ThresholdsSetColumns } from '@medic/standing';

/** Every ThresholdsUpdated and ThresholdsRecalibrated on the control log, for the audit trail of who set which thresholds when and why. */
@Entity({ name: 'threshold_changes' })
export class ThresholdChangeView extends ThresholdsSetColumns {
  /** The event's id (ce_id): a record read twice is one change. */
  @PrimaryColumn('text', { name: 'event_id' }) eventId!: string;
}

export const THRESHOLD_CHANGES_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.threshold_changes (
    event_id text PRIMARY KEY,
    ${THRESHOLDS_SET_COLUMNS_SQL}
  )`,
  `CREATE INDEX IF NOT EXISTS threshold_changes_recent ON {schema}.threshold_changes (updated_at DESC, actor)`,
];

export const thresholdChangesProjection: StreamProjection<'control', ThresholdChangeView> = {
  name: 'gateway.threshold_changes',
  entity: ThresholdChangeView,
  read: readStream('control', ['ThresholdsUpdated', 'ThresholdsRecalibrated']),
  keyOf: (e) => e.id,
  evolve: (row, logged: LoggedEvent<ControlEvent>) => {
    const set = thresholdsSetBy(logged.data);
    if (row !== null || set === null) return row;
    return Object.assign(new ThresholdChangeView(), { eventId: logged.id, ...thresholdsSetOf(set) });
  },
};
