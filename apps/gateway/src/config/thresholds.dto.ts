import { ApiProperty } from '@nestjs/swagger';
import { AUTO_APPROVABLE_LEVELS, RISK_LEVELS, THRESHOLD_BOUNDS, type DecisionThresholds, type RiskLevel, type ThresholdsChange, type ThresholdsUpdated } from '@medic/domain';
import { ApiError } from '@medic/eventlog';
import { bodyFields, text } from '../queue/queue.dto';

export class RiskThresholdsDto {
  @ApiProperty({ description: 'a score below it is minimal risk' }) minimal!: number;
  @ApiProperty({ description: 'below it (and from minimal on), low' }) low!: number;
  @ApiProperty({ description: 'below it, medium' }) medium!: number;
  @ApiProperty({ description: 'below it, high; from it on, critical (always denied)' }) high!: number;
}

/** Thresholds as the API shows and takes them. */
export class ThresholdValuesDto {
  @ApiProperty({ type: RiskThresholdsDto }) thresholds!: RiskThresholdsDto;
  @ApiProperty({ enum: [...AUTO_APPROVABLE_LEVELS], description: 'the highest risk level auto-approval may take' }) max_risk_level!: RiskLevel;
  @ApiProperty({ description: 'the lowest decision confidence auto-approval may take, in [0,1]' }) min_confidence!: number;
}

/** The thresholds in force, where they come from, and the configured ones beneath. */
export class ThresholdsDto extends ThresholdValuesDto {
  @ApiProperty({ enum: ['config', 'update'], description: 'config: as configured; update: as an admin last set them (PUT), over the configuration' }) source!: 'config' | 'update';
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) updated_at!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the admin (API key name) who set them' }) updated_by!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ type: ThresholdValuesDto, description: 'as configured (risk.thresholds, decision.auto_approve)' }) configured!: ThresholdValuesDto;
}

/** One change of the thresholds, as the history lists it. */
export interface ThresholdChangeDto extends ThresholdValuesDto {
  readonly changed_at: string;
  readonly changed_by: string;
  readonly reason: string;
}

export function toValuesDto(t: DecisionThresholds): ThresholdValuesDto {
  return { thresholds: { ...t.thresholds }, max_risk_level: t.maxRiskLevel, min_confidence: t.minConfidence };
}

export function toThresholdsDto(configured: DecisionThresholds, update: ThresholdsUpdated | null): ThresholdsDto {
  return {
    ...toValuesDto(update ?? configured),
    source: update === null ? 'config' : 'update',
    updated_at: update?.at ?? null,
    updated_by: update?.actor ?? null,
    reason: update?.reason ?? null,
    configured: toValuesDto(configured),
  };
}

function bad(field: string, message: string): ApiError {
  return new ApiError(400, 'validation_error', `${field}: ${message}`, field);
}

function number(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(field, 'must be a number');
  return value;
}

/**
 * A PUT /config/thresholds body: any of `thresholds` (some or all of minimal,
 * low, medium, high), `max_risk_level` and `min_confidence`, what is left out
 * kept; and the `reason` (1–1000 characters), which is required. Whether the
 * result can hold is checked once it is put together (thresholdsProblems).
 */
export function parseThresholdsChange(body: unknown): { change: ThresholdsChange; reason: string } {
  const fields = bodyFields(body, ['thresholds', 'max_risk_level', 'min_confidence', 'reason'], 'a thresholds update');
  const change: { thresholds?: Partial<Record<(typeof THRESHOLD_BOUNDS)[number], number>>; maxRiskLevel?: RiskLevel; minConfidence?: number } = {};
  const thresholds = fields['thresholds'];
  if (thresholds !== undefined) {
    if (typeof thresholds !== 'object' || thresholds === null || Array.isArray(thresholds)) throw bad('thresholds', `must be a JSON object of ${THRESHOLD_BOUNDS.join(', ')}`);
    const given: Partial<Record<(typeof THRESHOLD_BOUNDS)[number], number>> = {};
    for (const [key, value] of Object.entries(thresholds)) {
      if (!(THRESHOLD_BOUNDS as readonly string[]).includes(key)) throw bad(`thresholds.${key}`, `unknown threshold; there are ${THRESHOLD_BOUNDS.join(', ')}`);
      given[key as (typeof THRESHOLD_BOUNDS)[number]] = number(`thresholds.${key}`, value);
    }
    change.thresholds = given;
  }
  const level = fields['max_risk_level'];
  if (level !== undefined) {
    if (typeof level !== 'string' || !(RISK_LEVELS as readonly string[]).includes(level)) throw bad('max_risk_level', `must be one of ${AUTO_APPROVABLE_LEVELS.join(', ')}`);
    change.maxRiskLevel = level as RiskLevel;
  }
  if (fields['min_confidence'] !== undefined) change.minConfidence = number('min_confidence', fields['min_confidence']);
  const reason = fields['reason'];
  if (reason === undefined || reason === null) throw bad('reason', 'is required: say why the thresholds change (1–1000 characters)');
  if (change.thresholds === undefined && change.maxRiskLevel === undefined && change.minConfidence === undefined) {
    throw bad('body', 'nothing to change: give thresholds, max_risk_level or min_confidence');
  }
  return { change, reason: text('reason', reason, 1) };
}
