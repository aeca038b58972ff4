import type { ProjectionDefinition } from '@medic/eventlog';
import { DECISION_THRESHOLDS_DDL, DecisionThresholdsRow, decisionThresholdsProjection, MODULE_STANDING_DDL, MODULE_STANDING_ENTITIES, moduleKillsProjection, moduleReleasesProjection } from '@medic/standing';
import { THRESHOLD_CHANGES_DDL, thresholdChangesProjection, ThresholdChangeView } from './config/threshold-changes';
import { DEAD_LETTERS_DDL, DeadLetterView } from './dead-letters/dead-letter.entity';
import { DEAD_LETTER_PROJECTIONS } from './dead-letters/dead-letters.projection';
import { GATEWAY_DDL, KillView } from './decisions/kill-view.entity';
import { killsProjection } from './decisions/kills.projection';
import { COMMAND_VERDICTS_DDL, CommandVerdict } from './queue/command-verdict.entity';
import { commandVerdictsProjection } from './queue/command-verdicts.projection';
import { IDEMPOTENCY_DDL, IdempotencyRecord } from './queue/idempotency';
import { SENT_COMMANDS_DDL, SentCommand } from './queue/sent-commands';
import { OUTCOMES_DDL, OutcomeView } from './outcomes/outcome-view.entity';
import { outcomesProjection } from './outcomes/outcomes.projection';
import { RESURRECTIONS_DDL, ResurrectionView } from './resurrections/resurrection-view.entity';
import { resurrectionsProjection } from './resurrections/resurrections.projection';
import { SIEM_CIRCUITS_DDL, SiemCircuitView } from './siem/siem-circuit.entity';
import { siemCircuitsProjection } from './siem/siem-circuits.projection';

/** The gateway's projection runners go by this name (in their dead letters, logs and metrics). */
export const GATEWAY_STEP = 'gateway';

/** Every projection the gateway keeps (and `medic replay rebuild` can rebuild). */
export const GATEWAY_PROJECTIONS: readonly ProjectionDefinition[] = [
  { projection: killsProjection, topic: (c) => c.kafka.topics.kill_events },
  { projection: commandVerdictsProjection, topic: (c) => c.kafka.topics.kill_events },
  ...DEAD_LETTER_PROJECTIONS,
  { projection: siemCircuitsProjection, topic: (c) => c.kafka.topics.control_events },
  { projection: resurrectionsProjection, topic: (c) => c.kafka.topics.kill_events },
  { projection: outcomesProjection, topic: (c) => c.kafka.topics.kill_events },
  { projection: moduleKillsProjection('gateway', { reports: true }), topic: (c) => c.kafka.topics.kill_events },
  { projection: moduleReleasesProjection('gateway'), topic: (c) => c.kafka.topics.control_events },
  { projection: decisionThresholdsProjection('gateway'), topic: (c) => c.kafka.topics.control_events },
  { projection: thresholdChangesProjection, topic: (c) => c.kafka.topics.control_events },
];

/** The gateway schema: its projections' tables and the idempotency keys of its POSTs. */
export const GATEWAY_SCHEMA = {
  schema: 'gateway',
  entities: [KillView, CommandVerdict, DeadLetterView, IdempotencyRecord, SentCommand, SiemCircuitView, ResurrectionView, OutcomeView, ...MODULE_STANDING_ENTITIES, DecisionThresholdsRow, ThresholdChangeView],
  ddl: [...GATEWAY_DDL, ...COMMAND_VERDICTS_DDL, ...DEAD_LETTERS_DDL, ...IDEMPOTENCY_DDL, ...SENT_COMMANDS_DDL, ...SIEM_CIRCUITS_DDL, ...RESURRECTIONS_DDL, ...OUTCOMES_DDL, ...MODULE_STANDING_DDL, ...DECISION_THRESHOLDS_DDL, ...THRESHOLD_CHANGES_DDL],
} as const;
