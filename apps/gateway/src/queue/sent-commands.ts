import { Column, Entity, PrimaryColumn, type DataSource } from 'typeorm';

/**
 * The commands this API sent to the kill workflow, so that a status URL
 * tells a command still waiting for its verdict ("pending") from one never
 * sent (404). Kept a day, like Idempotency-Keys; the verdicts themselves are
 * a projection of the log (command_verdicts).
 */
@Entity({ name: 'sent_commands' })
export class SentCommand {
  @PrimaryColumn('text', { name: 'command_id' }) commandId!: string;
  @Column('text', { name: 'kill_id' }) killId!: string;
  @Column('timestamptz', { name: 'sent_at' }) sentAt!: Date;
}

export const SENT_COMMANDS_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.sent_commands (
    command_id text PRIMARY KEY,
    kill_id text NOT NULL,
    sent_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS sent_commands_sent ON {schema}.sent_commands (sent_at)`,
];

const KEEP_MS = 24 * 3600_000;

export class SentCommands {
  constructor(private readonly dataSource: DataSource) {}

  /** Noted before the command goes out, so a status asked for at once finds it; a day's older ones are let go. */
  async noteSending(commandId: string, killId: string, now: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM sent_commands WHERE sent_at < $1`, [new Date(now.getTime() - KEEP_MS)]);
    await this.dataSource.query(`INSERT INTO sent_commands (command_id, kill_id, sent_at) VALUES ($1, $2, $3) ON CONFLICT (command_id) DO NOTHING`, [commandId, killId, now]);
  }

  /** The log did not take it: it was never sent. */
  async forget(commandId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM sent_commands WHERE command_id = $1`, [commandId]);
  }

  async wasSent(commandId: string, killId: string): Promise<boolean> {
    return (await this.dataSource.getRepository(SentCommand).countBy({ commandId, killId })) > 0;
  }
}
