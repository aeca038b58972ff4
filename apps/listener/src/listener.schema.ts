import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The listener's own state: which kill ids it has turned into KillReported, and from where. */
@Entity({ name: 'reported_kills' })
export class ReportedKill {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  /** Of the validated report, not of the envelope: a retry with a new correlation id is the same kill. */
  @Column('text', { name: 'payload_sha256' }) payloadSha256!: string;
  @Column('text', { name: 'source_topic' }) sourceTopic!: string;
  @Column('int', { name: 'source_partition' }) sourcePartition!: number;
  @Column('bigint', { name: 'source_offset' }) sourceOffset!: string;
  @Column('uuid', { name: 'event_id' }) eventId!: string;
  @Column('timestamptz', { name: 'received_at' }) receivedAt!: Date;
}

export const LISTENER_ENTITIES = [ReportedKill];

export const LISTENER_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.reported_kills (
    kill_id text PRIMARY KEY,
    payload_sha256 text NOT NULL,
    source_topic text NOT NULL,
    source_partition int NOT NULL,
    source_offset bigint NOT NULL,
    event_id uuid NOT NULL,
    received_at timestamptz NOT NULL
  )`,
];
