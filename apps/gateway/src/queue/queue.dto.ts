import { ApiProperty } from '@nestjs/swagger';
import { ApprovalDto, PaginationDto, toApprovalDto } from '../decisions/decision.dto';
import type { KillView } from '../decisions/kill-view.entity';
import { ApiError } from '@medic/eventlog';
import type { CommandVerdict } from './command-verdict.entity';

/** An item of the approval queue (spec 3.3): the decision waiting for a human, and what became of it. */
export class QueueItemDto {
  @ApiProperty({ format: 'uuid' }) item_id!: string;
  @ApiProperty({ enum: ['pending', 'granted', 'denied', 'expired'] }) status!: string;
  @ApiProperty() kill_id!: string;
  @ApiProperty({ format: 'uuid' }) decision_id!: string;
  @ApiProperty() target_module!: string;
  @ApiProperty() target_instance_id!: string;
  @ApiProperty() kill_reason!: string;
  @ApiProperty() severity!: string;
  @ApiProperty() smith_confidence!: number;
  @ApiProperty({ enum: ['minimal', 'low', 'medium', 'high', 'critical'] }) risk_level!: string;
  @ApiProperty() risk_score!: number;
  @ApiProperty() confidence!: number;
  @ApiProperty({ type: [String] }) reasoning!: string[];
  @ApiProperty() recommended_action!: string;
  @ApiProperty({ type: ApprovalDto }) approval!: ApprovalDto;
}

export class QueuePageDto {
  @ApiProperty({ type: [QueueItemDto] }) items!: QueueItemDto[];
  @ApiProperty({ type: PaginationDto }) pagination!: PaginationDto;
}

/** Where a command sent for a queue item stands. */
export class CommandStatusDto {
  @ApiProperty() command_id!: string;
  @ApiProperty({ enum: ['pending', 'accepted', 'rejected'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'why the workflow rejected it' }) reason!: string | null;
  @ApiProperty({ nullable: true, type: String }) code!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) answered_at!: string | null;
  @ApiProperty({ description: 'poll this until status is not pending' }) status_url!: string;
}

export function toQueueItemDto(v: KillView): QueueItemDto {
  const approval = toApprovalDto(v);
  if (!approval || !v.decisionId) throw new Error(`kill ${v.killId} has no approval request`);
  return {
    item_id: approval.queue_item_id,
    status: approval.status,
    kill_id: v.killId,
    decision_id: v.decisionId,
    target_module: v.targetModule,
    target_instance_id: v.targetInstanceId,
    kill_reason: v.killReason,
    severity: v.severity,
    smith_confidence: v.smithConfidence,
    risk_level: v.riskLevel ?? 'unknown',
    risk_score: v.riskScore ?? 0,
    confidence: v.confidence ?? 0,
    reasoning: v.reasoning ?? [],
    recommended_action: v.recommendedAction ?? '',
    approval,
  };
}

export function toCommandStatusDto(commandId: string, verdict: CommandVerdict | null, statusUrl: string): CommandStatusDto {
  return {
    command_id: commandId,
    status: verdict?.verdict ?? 'pending',
    reason: verdict?.reason ?? null,
    code: verdict?.code ?? null,
    answered_at: verdict?.answeredAt.toISOString() ?? null,
    status_url: statusUrl,
  };
}

/** What an operator asks of a queue item. */
export type QueueAction = { readonly kind: 'approve'; readonly notes: string | null } | { readonly kind: 'deny'; readonly reason: string };

export const MAX_NOTES = 1_000;

/** Validates an approve or deny body strictly; a bad field is a 400 naming it. */
export function parseQueueAction(kind: 'approve' | 'deny', body: unknown): QueueAction {
  const record = bodyFields(body, kind === 'approve' ? ['notes'] : ['reason'], kind);
  if (kind === 'approve') {
    const notes = record['notes'];
    if (notes === undefined || notes === null) return { kind, notes: null };
    return { kind, notes: text('notes', notes, 0) };
  }
  const reason = record['reason'];
  if (reason === undefined || reason === null) throw bad('reason', 'is required to deny (1–1000 characters)');
  return { kind, reason: text('reason', reason, 1) };
}

/**
 * A POST body: absent or a JSON object of only the `allowed` fields (for
 * `what`); anything else — `null`, an array (empty or not), a bare value — is
 * a 400 naming it.
 */
export function bodyFields(body: unknown, allowed: readonly string[], what: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('body', 'must be a JSON object');
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw bad(key, `unknown field; ${what} takes ${allowed.join(', ')}`);
  return body as Record<string, unknown>;
}

/** A free-text field of at most MAX_NOTES characters, no control characters, at least `min` of them not blank. */
export function text(field: string, value: unknown, min: number): string {
  if (typeof value !== 'string') throw bad(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length < min) throw bad(field, 'must not be blank');
  if ([...value].length > MAX_NOTES) throw bad(field, `must be at most ${MAX_NOTES} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) throw bad(field, 'must not contain control characters');
  return value;
}

function bad(field: string, message: string): ApiError {
  return new ApiError(400, 'validation_error', `${field}: ${message}`, field);
}
