import { ApiProperty } from '@nestjs/swagger';
import { PaginationDto } from '../decisions/decision.dto';
import { ApiError } from '@medic/eventlog';
import { text } from '../queue/queue.dto';
import type { ModuleSummary } from './module-standings';

const time = { nullable: true, type: String, format: 'date-time' } as const;

/** A module Medic has seen: its kills, its re-kills, its backoff and its quarantine. */
export class ModuleDto {
  @ApiProperty() module!: string;
  @ApiProperty({ description: 'kills reported' }) kills!: number;
  @ApiProperty({ ...time, description: 'when the last kill was reported' }) last_kill_at!: string | null;
  @ApiProperty({ description: 'resurrections started' }) resurrections!: number;
  @ApiProperty(time) last_resurrection_at!: string | null;
  @ApiProperty({ description: 'resurrections it was killed again after, in the last 24 hours' }) re_kills_last_day!: number;
  @ApiProperty(time) last_re_kill_at!: string | null;
  @ApiProperty({ description: 're-kills in a row since a resurrection stayed up long enough, or since the last release' }) consecutive_re_kills!: number;
  @ApiProperty({ ...time, description: 'its next resurrection waits until then (exponential backoff); null when it need not wait' }) backoff_until!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'the backoff step: the delay is initial × 2^(attempt−1), capped' }) backoff_attempt!: number | null;
  @ApiProperty({ description: 'its kills go to a human until an admin releases it' }) quarantined!: boolean;
  @ApiProperty(time) quarantined_since!: string | null;
  @ApiProperty({ nullable: true, type: String }) quarantine_reason!: string | null;
  @ApiProperty({ ...time, description: 'the last release from quarantine' }) released_at!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'the admin (API key name) who released it last' }) released_by!: string | null;
  @ApiProperty({ nullable: true, type: String }) release_reason!: string | null;
}

export class ModulePageDto {
  @ApiProperty({ type: [ModuleDto] }) items!: ModuleDto[];
  @ApiProperty({ type: PaginationDto }) pagination!: PaginationDto;
}

/** The release just recorded. */
export class ModuleReleaseDto {
  @ApiProperty() module!: string;
  @ApiProperty({ format: 'date-time' }) released_at!: string;
  @ApiProperty({ description: 'the API key name' }) released_by!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ format: 'date-time', description: 'the quarantine it lifted' }) quarantined_since!: string;
  @ApiProperty({ description: 're-kills that had quarantined it' }) re_kills!: number;
}

export function toModuleDto(m: ModuleSummary): ModuleDto {
  return {
    module: m.module,
    kills: m.kills,
    last_kill_at: m.lastKillAt?.toISOString() ?? null,
    resurrections: m.resurrections,
    last_resurrection_at: m.lastResurrectionAt?.toISOString() ?? null,
    re_kills_last_day: m.reKillsLastDay,
    last_re_kill_at: m.lastReKillAt?.toISOString() ?? null,
    consecutive_re_kills: m.consecutiveReKills,
    backoff_until: m.backoff?.until ?? null,
    backoff_attempt: m.backoff?.attempt ?? null,
    quarantined: m.quarantine !== null,
    quarantined_since: m.quarantine?.since ?? null,
    quarantine_reason: m.quarantine?.reason ?? null,
    released_at: m.release?.at ?? null,
    released_by: m.release?.actor ?? null,
    release_reason: m.release?.reason ?? null,
  };
}

/** A release body: nothing, or `{reason}` (1–1000 characters). */
export function parseReleaseReason(body: unknown): string | null {
  const fields = body === undefined || body === null ? {} : body;
  if (typeof fields !== 'object' || Array.isArray(fields)) throw new ApiError(400, 'validation_error', 'body: must be a JSON object', 'body');
  for (const key of Object.keys(fields)) if (key !== 'reason') throw new ApiError(400, 'validation_error', `${key}: unknown field; release takes reason`, key);
  const reason = (fields as Record<string, unknown>)['reason'];
  return reason === undefined || reason === null ? null : text('reason', reason, 1);
}
