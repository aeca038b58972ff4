/** The decision service's state: every kill it has decided, enough to judge the next one. */
export const DECISION_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.kills (
    kill_id text PRIMARY KEY,
    target_module text NOT NULL,
    reported_at timestamptz NOT NULL,
    source_partition int NOT NULL,
    source_offset bigint NOT NULL,
    decision_id uuid NOT NULL,
    outcome text NOT NULL,
    auto_approved boolean NOT NULL,
    decided_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS kills_module_reported ON {schema}.kills (target_module, reported_at)`,
  `CREATE INDEX IF NOT EXISTS kills_auto_decided ON {schema}.kills (decided_at) WHERE auto_approved`,
];
