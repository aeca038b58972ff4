import { thresholdsOf, type DecisionThresholds } from '../../domain/src/control/decision-thresholds';
import { type PolicySettings, type RiskSettings } from '../../domain/src/decision/policy.types';
import { type VetoSettings } from '../../domain/src/veto/veto.types';
import { type StandingSettings } from '../../domain/src/module/module-standing';
import { type CascadeSettings } from '../../domain/src/module/cascade';
import { type MonitorSettings } from '../../domain/src/monitoring/watch';
import { type MedicConfig } from './config.types';
import { deepFreeze } from './plain-data';

/** What the decision policy needs, in the domain's words. */
export function toPolicySettings(c: MedicConfig): PolicySettings {
  const { auto_approve: autoApprove } = c.decision;
  return deepFreeze({
    mode: c.mode.current,
    autoApprove: {
      enabled: autoApprove.enabled,
      maxRiskLevel: autoApprove.max_risk_level,
      minConfidence: autoApprove.min_confidence,
    },
    constraints: {
      maxAutoResurrectionsPerHour: c.constraints.max_auto_resurrections_per_hour,
      requireHumanReviewForCritical: c.constraints.require_human_review_for_critical,
      blacklistedModules: c.constraints.blacklisted_modules,
      alwaysRequireApproval: c.constraints.always_require_approval,
      requireHumanReviewForReasons: c.constraints.require_human_review_for_reasons,
      killBurst: { maxKills: c.constraints.kill_burst.max_kills, windowSeconds: c.constraints.kill_burst.window_seconds },
    },
    defaultTimeoutMinutes: c.decision.default_timeout_minutes,
    smithConfidenceThreshold: c.decision.confidence_threshold,
    approvalTimeoutHours: c.interfaces.approval_queue.timeout_hours,
    maxPendingApprovals: c.interfaces.approval_queue.max_pending,
  });
}

/** What the risk assessor needs, in the domain's words. */
export function toRiskSettings(c: MedicConfig): RiskSettings {
  return deepFreeze({
    weights: c.risk.weights,
    thresholds: c.risk.thresholds,
    moduleCriticality: { default: c.risk.module_criticality.default, modules: c.risk.module_criticality.modules },
  });
}

/** The thresholds as configured (risk.thresholds, decision.auto_approve): what holds until an update or a recalibration. */
export function toDecisionThresholds(c: MedicConfig): DecisionThresholds {
  return thresholdsOf(toPolicySettings(c), toRiskSettings(c));
}

/** What the veto exchange with Smith needs, in the domain's words. */
export function toVetoSettings(c: MedicConfig): VetoSettings {
  const v = c.smith.veto_protocol;
  return deepFreeze({ timeoutSeconds: v.timeout_seconds, defaultOnTimeout: v.default_on_timeout, deferDelaySeconds: v.defer_delay_seconds, maxDefers: v.max_defers });
}

/**
 * The topics Smith's veto answers may come on, the response topic first: what
 * a kill report's reply_to may name, and all the negotiator ever reads.
 */
export function replyTopicsOf(c: MedicConfig): readonly string[] {
  return Object.freeze([...new Set([c.smith.event_bus.response_topic, ...c.smith.veto_protocol.reply_topics])]);
}

/** How re-kills weigh on a module: its backoff and its quarantine. */
export function toStandingSettings(c: MedicConfig): StandingSettings {
  const { backoff } = c.resurrection;
  return deepFreeze({
    backoff: { initialSeconds: backoff.initial_seconds, maxSeconds: backoff.max_seconds, resetAfterStableSeconds: backoff.reset_after_stable_seconds },
    quarantineAfterReKills: c.resurrection.quarantine_after_rekills,
  });
}

/** How the monitor watches a resurrection, in the domain's words (durations in milliseconds). */
export function toMonitorSettings(c: MedicConfig): MonitorSettings {
  const r = c.resurrection;
  return deepFreeze({
    monitoringMs: Math.round(r.monitoring_duration_minutes * 60_000),
    checkIntervalMs: Math.round(r.health_check_interval_seconds * 1000),
    rekillWindowMs: Math.round(r.rekill_window_minutes * 60_000),
    anomalyThreshold: r.rollback.anomaly_threshold,
    autoRollback: r.rollback.enabled && r.rollback.auto_trigger_on_anomaly,
    killReportGraceMs: Math.round(r.kill_report_grace_seconds * 1000),
  });
}

/** `kafka.brokers` as the list Kafka clients take. */
export function kafkaBrokerList(c: MedicConfig): readonly string[] {
  return Object.freeze(c.kafka.brokers.split(','));
}

/** The order of a cascade's resurrections: dependencies before dependents (resurrection.cascade.*). */
export function toCascadeSettings(c: MedicConfig): CascadeSettings {
  const { cascade } = c.resurrection;
  return deepFreeze({ windowSeconds: cascade.window_seconds, maxWaitSeconds: cascade.max_wait_seconds, recheckSeconds: cascade.recheck_seconds });
}

/**
 * How long a kill waits for its SIEM context before it is decided without it,
 * with a SIEM configured (null without one): the SIEM's timeout, and a margin
 * for the enrichment service's own work and the log.
 */
export function enrichmentWaitMs(c: MedicConfig): number | null {
  const seconds = c.siem.timeout_seconds;
  return c.siem.enabled ? Math.round(seconds * 1000 + Math.max(2000, seconds * 100)) : null;
}
