// Public API of the pure domain. Services import from '@medic/domain' only.

export * from './shared/errors';
export type * from './shared/json';
export { canonicalJson } from './shared/json';
export { round4 } from './shared/numbers';
export { plural } from './shared/wording';
export { addHours, addMilliseconds, addMinutes, compareInstants, formatInstant, normalizeInstant, parseInstant, secondsBetween } from './shared/time';

export * from './kill/kill-report';
export * from './kill/kill-report-limits';
export { isValidKillId, isValidModuleName, isValidTopicName, killIdProblem } from './kill/identifiers';
export { parseSmithKillMessage } from './kill/smith-message';
export { checkReportSignature, SIGNATURE_HEADERS, SIGNING_KEY_ID, type ReportSignature, type SignaturePolicy, type SignatureVerdict } from './kill/report-signature';
export type { ValidationCode, ValidationFailure } from './kill/validation-failure';

export * from './risk/risk.types';
export { assessRisk, heldDownBy, type HoldingDown } from './risk/risk-assessor';
export { compareRiskLevels, inRiskOrder, riskLevelFor, riskLevelRank } from './risk/risk-level';

export * from './decision/decision.types';
export type * from './decision/policy.types';
export { buildDecision, evaluatePolicy, type DecisionMeta } from './decision/decision-policy';
export { decisionConfidence, type DecisionConfidence } from './decision/decision-confidence';
export { staleAuthorization, staleIntent, staleRetry } from './decision/decision-validity';
export {
  decidedKillFacts,
  foldWhatIfFacts,
  reDecide,
  whatIf,
  WHAT_IF_EVENT_TYPES,
  type AutoApprovalRecord,
  type DecidedKillFacts,
  type ReDecision,
  type WhatIfFactsDraft,
  type WhatIfSettings,
  type WhatIfSummary,
} from './decision/what-if';
export { afterRefusal, attemptDelayMs, type AfterRefusal } from './resurrection/retry-attempts';

export * from './workflow/kill-events';
export * from './workflow/workflow-status';
export * from './workflow/kill-state';
export type * from './workflow/kill-commands';
export { EVENT_SOURCES } from './workflow/event-effects';
export { evolve } from './workflow/evolve';
export { decide } from './workflow/decide';
export { actorOf, answerCommand, rejection } from './workflow/answer-command';
export { DEPENDENCIES_ACTOR } from './workflow/backoff-decisions';
export { APPROVAL_EXPIRY_ACTOR, BACKOFF_ACTOR, ENRICHMENT_DEADLINE_ACTOR, RETRY_ACTOR, timersOf, type KillTimer, type TimerCommand } from './workflow/kill-timers';
export { awaitsEnrichment, unavailableContext } from './workflow/enrichment-decisions';
export { awaitsApproval } from './workflow/approval-decisions';
export { describeIndicators } from './workflow/event-effects';

export type * from './monitoring/observation';
export { NO_BASELINE, scoreCheck, type CheckBaseline, type CheckScore, type Finding } from './monitoring/anomaly-score';
export {
  anomalyReason,
  AUTO_ROLLBACK_ACTOR,
  closeStable,
  confirmStopped,
  evolveWatch,
  recordCheck,
  recordRekill,
  recordRollbackResult,
  rollbackUnderway,
  startWatch,
  type MonitorSettings,
  type OutcomeContext,
  type ProbeStats,
  type Rekill,
  type Watch,
  type WatchPhase,
  type WatchStart,
  type WatchStep,
} from './monitoring/watch';
export { failedResurrectionOutcome, type FailedResurrectionOf } from './monitoring/watch-outcomes';
export { ROLLBACK_FROM } from './workflow/rollback-decisions';
export { hasLoneSurrogate, printable, shorten } from './shared/text';
export { jsonFlaw, repeatedMember, type JsonFlaw, type RepeatedMember } from './shared/json-members';

export type * from './control/control-events';
export { AUTO_APPROVABLE_LEVELS, changedThresholds, THRESHOLD_BOUNDS, laterThresholds, thresholdsOf, thresholdsProblems, thresholdsSetBy, withThresholds, type DecisionThresholds, type ThresholdsChange, type ThresholdsProblem } from './control/decision-thresholds';
export { calibrate, LOWER_BELOW_SUCCESS_RATE, RAISE_AT_SUCCESS_RATE, type CalibrationSettings } from './control/calibration';
export {
  backoffDelaySeconds,
  evolveModuleKill,
  laterRelease,
  moduleStanding,
  quarantineOf,
  QUARANTINE_WINDOW_HOURS,
  reKillStanding,
  releaseOf,
  type BackoffSettings,
  type ModuleBackoff,
  type ModuleKillFacts,
  type ModuleQuarantine,
  type ModuleRelease,
  type ModuleStanding,
  type ReKillStanding,
  type StandingSettings,
} from './module/module-standing';
export { circuitAt, newCircuit, recordFailure, recordSuccess, tryCall, type CircuitBreaker, type CircuitSettings, type CircuitState } from './siem/circuit-breaker';
export { retryDelayMs, type RetryPolicy } from './siem/retry-policy';
export { aggregateRisk, siemRecommendation } from './siem/siem-context';

export * from './veto/veto.types';
export { readVetoAnswer, VETO_ANSWER_TYPE, type VetoAnswerRead } from './veto/veto-answer';
export { answerSmith, askSmith, dueVeto, evolveVeto, staleNotice, type AskSmith, type VetoRefusal } from './veto/veto-exchange';
export { noticeRiskOf, preResurrectionNotice } from './veto/veto-notice';
export { dependencyWait, dependencyWaitOver, evolveCascadeKill, verdictWait, type CascadeKill, type CascadeSettings, type DependencyWait } from './module/cascade';
