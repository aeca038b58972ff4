import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One record some step could not handle, as medic.dlq.internal says (projection "gateway.dead_letters"). */
@Entity({ name: 'dead_letters' })
export class DeadLetterView {
  /** `<partition>:<offset>` of the dead letter in medic.dlq.internal. */
  @PrimaryColumn('text', { name: 'id' }) id!: string;
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
];
