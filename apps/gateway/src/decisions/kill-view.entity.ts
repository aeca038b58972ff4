import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RiskFactor } from '@medic/domain';
import { jsonbColumnsToJson } from '@medic/eventlog';

/**
 * The gateway's read model of one kill and its decision (projection "kills").
 * Its lists are json, not jsonb: written whole with the row, returned as they
 * are and never queried inside, so parsing them into jsonb on every write of
 * the row was work for nothing.
 */
@Entity({ name: 'kills' })
export class KillView {
  @PrimaryColumn('text', { name: 'kill_id' }) killId!: string;
  /** Where the decision stands: pending | approved | denied | expired | vetoed | observed (see DECISION_STATUSES). */
  @Column('text', { name: 'status' }) status!: string;
  @Column('text', { name: 'target_module' }) targetModule!: string;
  @Column('text', { name: 'target_instance_id' }) targetInstanceId!: string;
  @Column('text', { name: 'kill_reason' }) killReason!: string;
  @Column('text', { name: 'severity' }) severity!: string;
  @Column('double precision', { name: 'smith_confidence' }) smithConfidence!: number;
  @Column('text', { name: 'source_agent' }) sourceAgent!: string;
  /** The trusted key whose signature the report carried (smith.signing); null when unsigned. */
  @Column('text', { name: 'signed_by', nullable: true }) signedBy!: string | null;
  @Column('text', { name: 'report_version', nullable: true }) reportVersion!: string | null;
  @Column('json', { name: 'report_ignored_fields', nullable: true }) reportIgnoredFields!: string[] | null;
  @Column('timestamptz', { name: 'killed_at' }) killedAt!: Date;
  @Column('timestamptz', { name: 'reported_at' }) reportedAt!: Date;
  @Column('uuid', { name: 'decision_id', nullable: true }) decisionId!: string | null;
  @Column('text', { name: 'outcome', nullable: true }) outcome!: string | null;
  @Column('text', { name: 'risk_level', nullable: true }) riskLevel!: string | null;
  @Column('double precision', { name: 'risk_score', nullable: true }) riskScore!: number | null;
  @Column('double precision', { name: 'confidence', nullable: true }) confidence!: number | null;
  @Column('json', { name: 'reasoning', nullable: true }) reasoning!: string[] | null;
  @Column('json', { name: 'risk_factors', nullable: true }) riskFactors!: RiskFactor[] | null;
  @Column('double precision', { name: 'risk_coverage', nullable: true }) riskCoverage!: number | null;
  @Column('text', { name: 'recommended_action', nullable: true }) recommendedAction!: string | null;
  @Column('boolean', { name: 'requires_human_review', nullable: true }) requiresHumanReview!: boolean | null;
  @Column('boolean', { name: 'auto_approve_eligible', nullable: true }) autoApproveEligible!: boolean | null;
  @Column('json', { name: 'constraints', nullable: true }) constraints!: string[] | null;
  @Column('int', { name: 'timeout_minutes', nullable: true }) timeoutMinutes!: number | null;
  @Column('text', { name: 'mode', nullable: true }) mode!: string | null;
  @Column('boolean', { name: 'observe_only', nullable: true }) observeOnly!: boolean | null;
  @Column('text', { name: 'siem_status', nullable: true }) siemStatus!: string | null;
  @Column('timestamptz', { name: 'decided_at', nullable: true }) decidedAt!: Date | null;
  @Column('uuid', { name: 'approval_queue_item_id', nullable: true }) approvalQueueItemId!: string | null;
  @Column('timestamptz', { name: 'approval_expires_at', nullable: true }) approvalExpiresAt!: Date | null;
  /** pending | granted | denied | expired, once a human was asked. */
  @Column('text', { name: 'approval_status', nullable: true }) approvalStatus!: string | null;
  @Column('timestamptz', { name: 'approval_requested_at', nullable: true }) approvalRequestedAt!: Date | null;
  /** Why the decision needs a human. */
  @Column('text', { name: 'review_reason', nullable: true }) reviewReason!: string | null;
  /** The approver, the denier, or the timer that expired the item. */
  @Column('text', { name: 'approval_by', nullable: true }) approvalBy!: string | null;
  @Column('timestamptz', { name: 'approval_at', nullable: true }) approvalAt!: Date | null;
  @Column('text', { name: 'approval_notes', nullable: true }) approvalNotes!: string | null;
  @Column('text', { name: 'denial_reason', nullable: true }) denialReason!: string | null;
  @Column('text', { name: 'approval_command_id', nullable: true }) approvalCommandId!: string | null;
  /** While an approved resurrection is held back (a backoff, or modules it depends on): since when, until when at least, why. */
  @Column('timestamptz', { name: 'held_since', nullable: true }) heldSince!: Date | null;
  @Column('timestamptz', { name: 'held_until', nullable: true }) heldUntil!: Date | null;
  @Column('text', { name: 'held_reason', nullable: true }) heldReason!: string | null;
  /** The kills of the modules it depends on that it waits for; empty for a backoff. */
  @Column('json', { name: 'held_for', nullable: true }) heldFor!: string[] | null;
  /** The veto exchange with Smith about the resurrection (spec 4.4): awaiting_answer | deferred | cleared | vetoed, null when Smith was not asked. */
  @Column('text', { name: 'veto_status', nullable: true }) vetoStatus!: string | null;
  /** What settled it: Smith's answer (approve, veto, defer) or timeout_default. */
  @Column('text', { name: 'veto_basis', nullable: true }) vetoBasis!: string | null;
  @Column('text', { name: 'veto_reason', nullable: true }) vetoReason!: string | null;
  @Column('json', { name: 'veto_evidence', nullable: true }) vetoEvidence!: string[] | null;
  @Column('timestamptz', { name: 'veto_requested_at', nullable: true }) vetoRequestedAt!: Date | null;
  @Column('timestamptz', { name: 'veto_deadline', nullable: true }) vetoDeadline!: Date | null;
  @Column('timestamptz', { name: 'veto_answered_at', nullable: true }) vetoAnsweredAt!: Date | null;
  @Column('int', { name: 'veto_attempts', nullable: true }) vetoAttempts!: number | null;
  @Column('uuid', { name: 'last_event_id' }) lastEventId!: string;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

export const GATEWAY_DDL = [
  `CREATE TABLE IF NOT EXISTS {schema}.kills (
    kill_id text PRIMARY KEY,
    status text NOT NULL,
    target_module text NOT NULL,
    target_instance_id text NOT NULL,
    kill_reason text NOT NULL,
    severity text NOT NULL,
    smith_confidence double precision NOT NULL,
    source_agent text NOT NULL,
    killed_at timestamptz NOT NULL,
    reported_at timestamptz NOT NULL,
    decision_id uuid UNIQUE,
    outcome text,
    risk_level text,
    risk_score double precision,
    confidence double precision,
    reasoning json,
    risk_factors json,
    risk_coverage double precision,
    recommended_action text,
    requires_human_review boolean,
    auto_approve_eligible boolean,
    constraints json,
    timeout_minutes int,
    mode text,
    observe_only boolean,
    siem_status text,
    decided_at timestamptz,
    approval_queue_item_id uuid,
    approval_expires_at timestamptz,
    approval_status text,
    approval_requested_at timestamptz,
    review_reason text,
    approval_by text,
    approval_at timestamptz,
    approval_notes text,
    denial_reason text,
    approval_command_id text,
    held_since timestamptz,
    held_until timestamptz,
    held_reason text,
    held_for json,
    veto_status text,
    veto_basis text,
    veto_reason text,
    veto_evidence json,
    veto_requested_at timestamptz,
    veto_deadline timestamptz,
    veto_answered_at timestamptz,
    veto_attempts int,
    last_event_id uuid NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS kills_decided_at ON {schema}.kills (decided_at DESC, decision_id) WHERE decision_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS kills_module_decided ON {schema}.kills (target_module, decided_at DESC)`,
  // The kills of the last moments, for the kill-burst breaker's state on /status.
  `CREATE INDEX IF NOT EXISTS kills_reported ON {schema}.kills (reported_at)`,
  // Tables made by an earlier version get the approval columns; the projection's new version refolds them.
  ...[
    'approval_status text',
    'approval_requested_at timestamptz',
    'review_reason text',
    'approval_by text',
    'approval_at timestamptz',
    'approval_notes text',
    'denial_reason text',
    'approval_command_id text',
    'signed_by text',
    'report_version text',
    'report_ignored_fields json',
    'held_since timestamptz',
    'held_until timestamptz',
    'held_reason text',
    'held_for json',
    'veto_status text',
    'veto_basis text',
    'veto_reason text',
    'veto_evidence json',
    'veto_requested_at timestamptz',
    'veto_deadline timestamptz',
    'veto_answered_at timestamptz',
    'veto_attempts int',
  ].map((column) => `ALTER TABLE {schema}.kills ADD COLUMN IF NOT EXISTS ${column}`),
  // A table made when the lists were jsonb is converted.
  jsonbColumnsToJson('kills', ['reasoning', 'risk_factors', 'constraints']),
  `CREATE UNIQUE INDEX IF NOT EXISTS kills_queue_item ON {schema}.kills (approval_queue_item_id) WHERE approval_queue_item_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS kills_pending_approval ON {schema}.kills (approval_expires_at, approval_queue_item_id) WHERE approval_status = 'pending'`,
];
