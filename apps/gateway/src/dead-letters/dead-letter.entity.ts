import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One record some step could not handle, as the dead-letter topic it went to
 * says: Medic's own (medic.dlq.internal), or those of what Smith sends (kill
 * reports, veto answers). See DEAD_LETTER_TOPICS.
 */
@Entity({ name: 'dead_letters' })
export class DeadLetterView {
  /** `<dlq>:<partition>:<offset>` of the dead letter in its topic. */
  @PrimaryColumn('text', { name: 'id' }) id!: string;
  /** Which dead-letter topic: `internal`, `kill_reports` or `veto_answers`. */
  @Column('text', { name: 'dlq' }) dlq!: string;
  @Column('text', { name: 'step' }) step!: string;
  @Column('text', { name: 'code' }) code!: string;
  @Column('text', { name: 'reason' }) reason!: string;
  @Column('text', { name: 'source_topic' }) sourceTopic!: string;
  @Column('int', { name: 'source_partition' }) sourcePartition!: number;
  @Column('text', { name: 'source_offset' }) sourceOffset!: string;
  @Column('timestamptz', { name: 'failed_at' }) failedAt!: Date;
}

export const DEAD_LETTERS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.dead_letters (
    id text PRIMARY KEY,
    step text NOT NULL,
    code text NOT NULL,
    reason text NOT NULL,
    source_topic text NOT NULL,
    source_partition int NOT NULL,
    source_offset text NOT NULL,
    failed_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS dead_letters_recent ON {schema}.dead_letters (failed_at DESC, step)`,
  // Rows of a gateway from before Smith's dead-letter topics were projected came from medic.dlq.internal.
  `ALTER TABLE {schema}.dead_letters ADD COLUMN IF NOT EXISTS dlq text NOT NULL DEFAULT 'internal'`,
];
