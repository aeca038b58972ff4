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
  // Per module and day, so a module's history costs at most a month of rows whatever its size;
  // and per input partition, so batches of different partitions never wait on each other's rows.
  `CREATE TABLE IF NOT EXISTS {schema}.module_daily (
    target_module text NOT NULL,
    day date NOT NULL,
    source_partition int NOT NULL,
    kills int NOT NULL,
    resurrections int NOT NULL,
    PRIMARY KEY (target_module, day, source_partition)
  )`,
  `CREATE INDEX IF NOT EXISTS kills_auto_decided ON {schema}.kills (decided_at) WHERE auto_approved`,
];
