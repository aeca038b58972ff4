import type { JsonObject } from '../shared/json';

export const KILL_REASONS = [
  'threat_detected',
  'anomaly_behavior',
  'policy_violation',
  'resource_exhaustion',
  'dependency_cascade',
  'manual_override',
] as const;
export type KillReason = (typeof KILL_REASONS)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What Smith tells us about one kill (spec 2.1). Timestamps are ISO-8601 strings in UTC. */
export interface KillReport {
  readonly killId: string;
  readonly timestamp: string;
  readonly targetModule: string;
  readonly targetInstanceId: string;
  readonly killReason: KillReason;
  readonly severity: Severity;
  readonly confidenceScore: number;
  readonly evidence: readonly string[];
  readonly dependencies: readonly string[];
  readonly sourceAgent: string;
  readonly metadata: JsonObject;
}

/** The Smith event-bus envelope around a kill report (spec 4.1). */
export interface SmithKillMessage {
  readonly version: string;
  readonly messageType: 'KILL_REPORT';
  readonly payload: KillReport;
  readonly correlationId: string | null;
  readonly replyTo: string | null;
  /**
   * Fields of a later 1.x minor version that this Medic does not know and left
   * out: envelope fields by name, payload fields as "payload.<name>". Always
   * empty for version "1.0", which is read exactly.
   */
  readonly ignoredFields: readonly string[];
}
