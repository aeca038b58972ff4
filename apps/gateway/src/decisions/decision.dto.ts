import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { round4 } from '@medic/domain';
import type { KillView } from './kill-view.entity';

export class RiskFactorDto {
  @ApiProperty({ enum: ['smith_confidence', 'siem_risk_score', 'false_positive_history', 'module_criticality', 'severity'] }) name!: string;
  @ApiProperty({ description: 'the input as observed' }) raw!: number;
  @ApiProperty({ description: 'the input mapped to [0,1], 1 = riskier to resurrect' }) normalized!: number;
  @ApiProperty({ description: 'weight applied after redistributing missing factors' }) weight!: number;
  @ApiProperty({ description: 'normalized × weight; contributions add up to the score' }) contribution!: number;
  @ApiProperty({ description: 'whether its input was there: false for a source that should have answered and did not (it lowers the coverage)' }) observed!: boolean;
  @ApiProperty({ description: 'a source this deployment does not have, or with nothing to say (no outcomes yet, no SIEM indicators): it moves nothing either way' })
  out_of_model!: boolean;
  @ApiProperty() explanation!: string;
}

/** The human side of a decision that needed one: the queue item and its verdict. */
export class ApprovalDto {
  @ApiProperty({ format: 'uuid' }) queue_item_id!: string;
  @ApiProperty({ enum: ['pending', 'granted', 'denied', 'expired'] }) status!: string;
  @ApiProperty({ description: 'why the decision needs a human' }) review_reason!: string;
  @ApiProperty({ format: 'date-time' }) requested_at!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'the approver or denier (the API key name), or the expiry timer' }) decided_by!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' }) decided_at!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: "the approver's notes" }) notes!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: "the denier's reason" }) denial_reason!: string | null;
}

/** The veto exchange with Smith about an approved resurrection (spec 4.4). */
export class VetoDto {
  @ApiProperty({ enum: ['awaiting_answer', 'deferred', 'cleared', 'vetoed'] }) status!: string;
  @ApiPropertyOptional({ nullable: true, type: String, enum: ['approve', 'veto', 'defer', 'timeout_default'], description: "Smith's answer that settled it, or timeout_default when Smith stayed silent (or deferred too often) and the configured default applied" })
  basis!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: "Smith's reason, or what the default applied for" }) reason!: string | null;
  @ApiProperty({ type: [String], description: 'new evidence Smith sent with a veto or a defer' }) new_evidence!: string[];
  @ApiProperty({ format: 'date-time', description: 'the first notice to Smith' }) requested_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time', description: 'when the notice now waited on lapses' }) deadline!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'date-time' }) answered_at!: string | null;
  @ApiProperty({ description: 'notices sent: one more after each defer' }) attempts!: number;
}

/** An approved resurrection the executor holds back: for the module's backoff, or for modules it depends on (a cascade). */
export class ResurrectionHoldDto {
  @ApiProperty({ format: 'date-time' }) since!: string;
  @ApiProperty({ format: 'date-time', description: 'when it is looked at again (it may be held again then)' }) until!: string;
  @ApiProperty() reason!: string;
  @ApiProperty({ type: [String], description: 'the kills of the modules it depends on that it waits for; empty for a backoff' }) waits_for_kill_ids!: string[];
}

/** Where a decision stands (see DecisionDto.status). */
export const DECISION_STATUSES = ['pending', 'approved', 'denied', 'expired', 'vetoed', 'observed'] as const;

/** A resurrection decision (spec 2.3) with the kill it answers and its risk breakdown. */
export class DecisionDto {
  @ApiProperty({ format: 'uuid' }) decision_id!: string;
  @ApiProperty() kill_id!: string;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ enum: ['approve_auto', 'approve_manual', 'pending_review', 'deny', 'defer'] }) outcome!: string;
  @ApiProperty({ enum: ['minimal', 'low', 'medium', 'high', 'critical'] }) risk_level!: string;
  @ApiProperty() risk_score!: number;
  @ApiProperty() confidence!: number;
  @ApiProperty({ type: [String] }) reasoning!: string[];
  @ApiProperty() recommended_action!: string;
  @ApiProperty() requires_human_review!: boolean;
  @ApiProperty() auto_approve_eligible!: boolean;
  @ApiProperty({ type: [String] }) constraints!: string[];
  @ApiProperty() timeout_minutes!: number;
  @ApiProperty({ enum: ['observer', 'manual', 'semi_auto', 'full_auto'] }) mode!: string;
  @ApiProperty({ description: 'observer mode: recorded, nothing acts on it' }) observe_only!: boolean;
  @ApiProperty({ enum: ['used', 'not_configured', 'unavailable'] }) siem_status!: string;
  @ApiProperty({
    enum: DECISION_STATUSES,
    description: 'pending: waiting for a human; approved / denied: by Medic or a human; expired: no human answered in time; vetoed: Smith vetoed the resurrection; observed: observer mode, nothing acted on it',
  })
  status!: string;
  @ApiProperty() target_module!: string;
  @ApiProperty() target_instance_id!: string;
  @ApiProperty() kill_reason!: string;
  @ApiProperty() severity!: string;
  @ApiProperty() smith_confidence!: number;
  @ApiProperty() source_agent!: string;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'the trusted key whose Ed25519 signature the kill report carried (smith.signing); null when it was not signed' })
  report_signed_by!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: "the version of Smith's message (spec 4.1 envelope); null for kills logged before it was kept" })
  report_version!: string | null;
  @ApiProperty({ type: [String], description: 'fields a later 1.x minor version of the message added that this Medic does not know and left out: envelope fields by name, payload fields as "payload.<name>"; empty for version 1.0' })
  report_ignored_fields!: string[];
  @ApiProperty({ format: 'date-time' }) killed_at!: string;
  @ApiProperty({ type: [RiskFactorDto] }) risk_factors!: RiskFactorDto[];
  @ApiProperty() risk_coverage!: number;
  @ApiPropertyOptional({ type: ApprovalDto, nullable: true }) approval!: ApprovalDto | null;
  @ApiPropertyOptional({ type: ResurrectionHoldDto, nullable: true, description: 'set while the approved resurrection is held back' }) resurrection_hold!: ResurrectionHoldDto | null;
  @ApiPropertyOptional({ type: VetoDto, nullable: true, description: 'the veto exchange with Smith; null when Smith was not asked' }) veto!: VetoDto | null;
}

export class PaginationDto {
  @ApiProperty() page!: number;
  @ApiProperty() page_size!: number;
  @ApiProperty() total!: number;
  @ApiProperty() total_pages!: number;
}

export class DecisionPageDto {
  @ApiProperty({ type: [DecisionDto] }) items!: DecisionDto[];
  @ApiProperty({ type: PaginationDto }) pagination!: PaginationDto;
}

export function toDecisionDto(v: KillView): DecisionDto {
  return {
    decision_id: v.decisionId!,
    kill_id: v.killId,
    timestamp: v.decidedAt!.toISOString(),
    outcome: v.outcome!,
    risk_level: v.riskLevel!,
    risk_score: v.riskScore!,
    confidence: v.confidence!,
    reasoning: v.reasoning ?? [],
    recommended_action: v.recommendedAction!,
    requires_human_review: v.requiresHumanReview!,
    auto_approve_eligible: v.autoApproveEligible!,
    constraints: v.constraints ?? [],
    timeout_minutes: v.timeoutMinutes!,
    mode: v.mode!,
    observe_only: v.observeOnly!,
    siem_status: v.siemStatus!,
    status: v.status,
    target_module: v.targetModule,
    target_instance_id: v.targetInstanceId,
    kill_reason: v.killReason,
    severity: v.severity,
    smith_confidence: v.smithConfidence,
    source_agent: v.sourceAgent,
    report_signed_by: v.signedBy,
    report_version: v.reportVersion,
    report_ignored_fields: v.reportIgnoredFields ?? [],
    killed_at: v.killedAt.toISOString(),
    risk_factors: (v.riskFactors ?? []).map((f) => ({
      name: f.name,
      raw: round4(f.raw),
      normalized: round4(f.normalized),
      weight: f.weight,
      contribution: f.contribution,
      observed: f.observed,
      // Absent from factors recorded before it was kept: those were all in the model or missing.
      out_of_model: f.outOfModel ?? false,
      explanation: f.explanation,
    })),
    risk_coverage: v.riskCoverage ?? 0,
    approval: toApprovalDto(v),
    resurrection_hold:
      v.heldSince === null || v.heldUntil === null
        ? null
        : { since: v.heldSince.toISOString(), until: v.heldUntil.toISOString(), reason: v.heldReason ?? '', waits_for_kill_ids: v.heldFor ?? [] },
    veto: toVetoDto(v),
  };
}

function toVetoDto(v: KillView): VetoDto | null {
  if (v.vetoStatus === null || v.vetoRequestedAt === null) return null;
  return {
    status: v.vetoStatus,
    basis: v.vetoBasis,
    reason: v.vetoReason,
    new_evidence: v.vetoEvidence ?? [],
    requested_at: v.vetoRequestedAt.toISOString(),
    deadline: v.vetoDeadline?.toISOString() ?? null,
    answered_at: v.vetoAnsweredAt?.toISOString() ?? null,
    attempts: v.vetoAttempts ?? 1,
  };
}

export function toApprovalDto(v: KillView): ApprovalDto | null {
  if (!v.approvalQueueItemId || !v.approvalExpiresAt) return null;
  return {
    queue_item_id: v.approvalQueueItemId,
    status: v.approvalStatus ?? 'pending',
    review_reason: v.reviewReason ?? '',
    requested_at: (v.approvalRequestedAt ?? v.decidedAt ?? v.updatedAt).toISOString(),
    expires_at: v.approvalExpiresAt.toISOString(),
    decided_by: v.approvalBy,
    decided_at: v.approvalAt?.toISOString() ?? null,
    notes: v.approvalNotes,
    denial_reason: v.denialReason,
  };
}
