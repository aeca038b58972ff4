// A module's standing (re-kills, backoff, quarantine), as a read model every service that needs it keeps in its own schema.
export { MODULE_KILLS_DDL, MODULE_RELEASES_DDL, MODULE_STANDING_DDL, MODULE_STANDING_ENTITIES, ModuleKillRow, ModuleReleaseRow } from './module-standing.entity';
export { killFacts, moduleKillsProjection, moduleReleasesProjection, releaseFacts } from './module-standing.projections';
export { standingFrom, standingOf, weighingKillsSql, type WeighingKill } from './standing-query';
// The decision thresholds an admin set at run time, kept the same way.
export {
  DECISION_THRESHOLDS_DDL,
  decisionThresholdsProjection,
  DecisionThresholdsRow,
  THRESHOLDS_SCOPE,
  THRESHOLDS_SET_COLUMNS_SQL,
  thresholdsRowOf,
  thresholdsSetOf,
  ThresholdsSetColumns,
  thresholdsUpdateOf,
} from './decision-thresholds';
