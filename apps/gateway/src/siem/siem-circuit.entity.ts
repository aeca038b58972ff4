import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last known state of a SIEM's circuit breaker (projection "gateway.siem_circuits"). */
@Entity({ name: 'siem_circuits' })
export class SiemCircuitView {
  @PrimaryColumn('text', { name: 'siem' }) siem!: string;
  @Column('text', { name: 'state' }) state!: string;
  @Column('timestamptz', { name: 'since' }) since!: Date;
  @Column('int', { name: 'failure_count' }) failureCount!: number;
  @Column('text', { name: 'reason' }) reason!: string;
}

export const SIEM_CIRCUITS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.siem_circuits (
    siem text PRIMARY KEY,
    state text NOT NULL,
    since timestamptz NOT NULL,
    failure_count int NOT NULL,
    reason text NOT NULL
  )`,
];
