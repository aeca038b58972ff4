import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The workflow's answer to one command from the log (projection "gateway.command_verdicts"). */
@Entity({ name: 'command_verdicts' })
export class CommandVerdict {
  @PrimaryColumn('text', { name: 'command_id' }) commandId!: string;
  @Column('text', { name: 'kill_id' }) killId!: string;
  /** accepted: the command caused its event; rejected: CommandRejected. */
  @Column('text', { name: 'verdict' }) verdict!: 'accepted' | 'rejected';
  /** The answering event's type, e.g. ApprovalGranted or CommandRejected. */
  @Column('text', { name: 'event_type' }) eventType!: string;
  @Column('text', { name: 'code', nullable: true }) code!: string | null;
  @Column('text', { name: 'reason', nullable: true }) reason!: string | null;
  @Column('timestamptz', { name: 'answered_at' }) answeredAt!: Date;
  @Column('uuid', { name: 'event_id' }) eventId!: string;
}

/** Verdicts are announced on this channel (payload: the command id) when their transaction commits. */
export const VERDICT_CHANNEL = 'medic_command_verdicts';

export const COMMAND_VERDICTS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.command_verdicts (
    command_id text PRIMARY KEY,
    kill_id text NOT NULL,
    verdict text NOT NULL,
    event_type text NOT NULL,
    code text,
    reason text,
    answered_at timestamptz NOT NULL,
    event_id uuid NOT NULL
  )`,
  `CREATE OR REPLACE FUNCTION {schema}.announce_command_verdict() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('${VERDICT_CHANNEL}', NEW.command_id);
      RETURN NEW;
    END $$`,
  `CREATE OR REPLACE TRIGGER command_verdicts_announce AFTER INSERT OR UPDATE ON {schema}.command_verdicts
    FOR EACH ROW EXECUTE FUNCTION {schema}.announce_command_verdict()`,
];
