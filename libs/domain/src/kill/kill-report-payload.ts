import { ownField, type UntrustedObject } from './json-object';
import { KILL_REASONS, SEVERITIES, type KillReport } from './kill-report';
import type { KillReportLimits } from './kill-report-limits';
import { readMetadata } from './metadata';
import {
  readDependencies,
  readEnum,
  readEvidence,
  readKillId,
  readModuleName,
  readKillTime,
  readScore,
} from './payload-fields';
import { quote, reject } from './validation-failure';

/*
 * The spec 2.1 kill report, snake_case on the wire, read strictly into a
 * KillReport. evidence, dependencies and metadata may be absent or null and
 * then default to empty.
 */

const PAYLOAD_FIELDS = new Set([
  'kill_id',
  'timestamp',
  'target_module',
  'target_instance_id',
  'kill_reason',
  'severity',
  'confidence_score',
  'evidence',
  'dependencies',
  'source_agent',
  'metadata',
]);

/**
 * `receivedAt`: when Medic received the report, to refuse kills dated after it
 * (null: not checked). `admitUnknown`: a field spec 2.1 does not have is left
 * out (see `unknownPayloadFields`) instead of refusing the report.
 */
export function readKillReport(payload: UntrustedObject, limits: KillReportLimits, receivedAt: string | null, admitUnknown = false): KillReport {
  if (!admitUnknown) rejectUnknownFields(payload);
  const required = (key: string): unknown => requireField(payload, key);
  const optional = (key: string, fallback: unknown): unknown => ownField(payload, key) ?? fallback;
  return {
    killId: readKillId(required('kill_id'), 'payload.kill_id', limits),
    timestamp: readKillTime(required('timestamp'), 'payload.timestamp', receivedAt, limits.maxTimestampAheadMs),
    targetModule: readModuleName(required('target_module'), 'payload.target_module', limits),
    targetInstanceId: readModuleName(required('target_instance_id'), 'payload.target_instance_id', limits),
    killReason: readEnum(required('kill_reason'), 'payload.kill_reason', KILL_REASONS),
    severity: readEnum(required('severity'), 'payload.severity', SEVERITIES),
    confidenceScore: readScore(required('confidence_score'), 'payload.confidence_score'),
    evidence: readEvidence(optional('evidence', []), 'payload.evidence', limits),
    dependencies: readDependencies(optional('dependencies', []), 'payload.dependencies', limits),
    sourceAgent: readModuleName(required('source_agent'), 'payload.source_agent', limits),
    metadata: readMetadata(optional('metadata', {}), 'payload.metadata', limits),
  };
}

/** The payload's fields that a spec 2.1 kill report does not have, in the order they came. */
export function unknownPayloadFields(payload: UntrustedObject): string[] {
  return Object.keys(payload).filter((key) => !PAYLOAD_FIELDS.has(key));
}

// Strict unless admitted: a field we do not know is a field we would otherwise silently drop.
function rejectUnknownFields(payload: UntrustedObject): void {
  const [unknown] = unknownPayloadFields(payload);
  if (unknown !== undefined) {
    const field = `payload.${unknown.slice(0, 64)}`;
    reject('invalid_field', field, `payload has an unknown field ${quote(unknown)}; a kill report (spec 2.1) has no such field`);
  }
}

function requireField(payload: UntrustedObject, key: string): unknown {
  const value = ownField(payload, key);
  if (value === undefined) reject('invalid_field', `payload.${key}`, `payload.${key} is required but missing`);
  return value;
}
