/** The listener's own state: which kill ids it has turned into KillReported, and from where. */
export const LISTENER_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.reported_kills (
    kill_id text PRIMARY KEY,
    payload_sha256 text NOT NULL, -- of the validated report, not of the envelope
    source_topic text NOT NULL,
    source_partition int NOT NULL,
    source_offset bigint NOT NULL,
    event_id uuid NOT NULL,
    received_at timestamptz NOT NULL
  )`,
];

export interface ReportedKillRow {
  readonly kill_id: string;
  readonly payload_sha256: string;
  readonly source_topic: string;
  readonly source_partition: number;
  readonly source_offset: string;
}
