import { DECISION_OUTCOMES, isValidModuleName, OUTCOME_RESULTS, RISK_LEVELS, type DecisionOutcome, type OutcomeResult, type RiskLevel } from '@medic/domain';
import { isoInstant } from '../http/calendar';
import { ApiError } from '@medic/eventlog';

export interface DecisionFilters {
  readonly module: string | null;
  readonly outcome: DecisionOutcome | null;
  readonly riskLevel: RiskLevel | null;
  readonly since: Date | null;
  readonly until: Date | null;
  readonly page: number;
  readonly pageSize: number;
}

export type QueueFilters = Omit<DecisionFilters, 'outcome'>;

export const MAX_PAGE_SIZE = 200;
const DECISION_PARAMS = ['module', 'outcome', 'risk_level', 'since', 'until', 'page', 'page_size'];
const QUEUE_PARAMS = DECISION_PARAMS.filter((p) => p !== 'outcome');

/** Validates the /decisions query strictly: a bad or unknown parameter is a 400 naming it. */
export function parseDecisionFilters(query: Record<string, unknown>): DecisionFilters {
  return parseFilters(query, DECISION_PARAMS);
}

/** The /queue query: like /decisions' (since and until bound the request time), without an outcome. */
export function parseQueueFilters(query: Record<string, unknown>): QueueFilters {
  const { outcome: _never, ...filters } = parseFilters(query, QUEUE_PARAMS);
  return filters;
}

/** Spec 2.4's statuses a request takes here: started, up (then watched), failed, or undone. */
export const RESURRECTION_STATUSES = ['in_progress', 'completed', 'failed', 'rolled_back'] as const;
export type ResurrectionFilters = Omit<DecisionFilters, 'outcome' | 'riskLevel'> & { readonly status: (typeof RESURRECTION_STATUSES)[number] | null };
const RESURRECTION_PARAMS = ['module', 'status', 'since', 'until', 'page', 'page_size'];

/** The /resurrections query: module, a status, since and until (the request time), a page. */
export function parseResurrectionFilters(query: Record<string, unknown>): ResurrectionFilters {
  const { outcome: _outcome, riskLevel: _risk, ...filters } = parseFilters(query, RESURRECTION_PARAMS);
  return { ...filters, status: oneOf(query, 'status', RESURRECTION_STATUSES) };
}

export type OutcomeFilters = Omit<DecisionFilters, 'outcome'> & { readonly result: OutcomeResult | null };
const OUTCOME_PARAMS = ['module', 'result', 'risk_level', 'since', 'until', 'page', 'page_size'];
const OUTCOME_STATS_PARAMS = ['module', 'risk_level', 'since', 'until'];

/** The /outcomes query: module, result, the decision's risk level, since and until (the recording time), a page. */
export function parseOutcomeFilters(query: Record<string, unknown>): OutcomeFilters {
  const { outcome: _outcome, ...filters } = parseFilters(query, OUTCOME_PARAMS);
  return { ...filters, result: oneOf(query, 'result', OUTCOME_RESULTS) };
}

/** The /outcomes/stats query: which outcomes to count (module, risk level, since, until). */
export function parseOutcomeStatsFilters(query: Record<string, unknown>): Omit<OutcomeFilters, 'result' | 'page' | 'pageSize'> {
  const { outcome: _outcome, page: _page, pageSize: _size, ...filters } = parseFilters(query, OUTCOME_STATS_PARAMS);
  return filters;
}

export type ModuleFilters = Omit<DecisionFilters, 'outcome' | 'riskLevel'> & { readonly quarantined: boolean | null };
const MODULE_PARAMS = ['module', 'quarantined', 'since', 'until', 'page', 'page_size'];

/** The /modules query: a module, quarantined or not, since and until (the last kill), a page. */
export function parseModuleFilters(query: Record<string, unknown>): ModuleFilters {
  const { outcome: _outcome, riskLevel: _risk, ...filters } = parseFilters(query, MODULE_PARAMS);
  const quarantined = oneOf(query, 'quarantined', ['true', 'false']);
  return { ...filters, quarantined: quarantined === null ? null : quarantined === 'true' };
}

export type PeriodFilters = Pick<DecisionFilters, 'since' | 'until' | 'page' | 'pageSize'>;
const PERIOD_PARAMS = ['since', 'until', 'page', 'page_size'];

/** A list that only pages through time: since, until, a page. */
export function parsePeriodFilters(query: Record<string, unknown>): PeriodFilters {
  const { since, until, page, pageSize } = parseFilters(query, PERIOD_PARAMS);
  return { since, until, page, pageSize };
}

export type DeadLetterFilters = Omit<DecisionFilters, 'module' | 'outcome' | 'riskLevel'> & {
  readonly dlq: string | null;
  readonly step: string | null;
  readonly code: string | null;
};
const DEAD_LETTER_PARAMS = ['dlq', 'step', 'code', 'since', 'until', 'page', 'page_size'];
/** How steps and codes are spelled (`negotiator-answers`, `invalid_field`): anything else matches nothing, and is refused as a typo. */
const STEP_OR_CODE = /^[a-z][a-z0-9_.-]{0,63}$/;

/** The /dead-letters query: which dead-letter topic (one of `dlqs`), step, code, since and until (when it failed), a page. */
export function parseDeadLetterFilters(query: Record<string, unknown>, dlqs: readonly string[]): DeadLetterFilters {
  const { module: _module, outcome: _outcome, riskLevel: _risk, ...filters } = parseFilters(query, DEAD_LETTER_PARAMS);
  const named = (key: string): string | null => {
    const v = single(query, key);
    if (v !== null && !STEP_OR_CODE.test(v)) throw bad(key, 'must be lower-case letters, digits, _ . or -, at most 64 characters');
    return v;
  };
  return { ...filters, dlq: oneOf(query, 'dlq', dlqs), step: named('step'), code: named('code') };
}

function parseFilters(query: Record<string, unknown>, known: readonly string[]): DecisionFilters {
  for (const key of Object.keys(query)) {
    if (!known.includes(key)) throw bad(key, `unknown query parameter; use ${known.join(', ')}`);
  }
  const module = single(query, 'module');
  if (module !== null && !isValidModuleName(module)) throw bad('module', 'is not a valid module name');
  const filters: DecisionFilters = {
    module,
    outcome: oneOf(query, 'outcome', DECISION_OUTCOMES),
    riskLevel: oneOf(query, 'risk_level', RISK_LEVELS),
    since: time(query, 'since'),
    until: time(query, 'until'),
    page: int(query, 'page', 1, 1, 1_000_000),
    pageSize: int(query, 'page_size', 50, 1, MAX_PAGE_SIZE),
  };
  if (filters.since && filters.until && filters.since > filters.until) throw bad('since', 'must not be after until');
  return filters;
}

function bad(field: string, message: string): ApiError {
  return new ApiError(400, 'validation_error', `${field}: ${message}`, field);
}

function single(query: Record<string, unknown>, key: string): string | null {
  const v = query[key];
  if (v === undefined) return null;
  if (typeof v !== 'string') throw bad(key, 'must be given once');
  return v;
}

function oneOf<T extends string>(query: Record<string, unknown>, key: string, allowed: readonly T[]): T | null {
  const v = single(query, key);
  if (v === null) return null;
  if (!(allowed as readonly string[]).includes(v)) throw bad(key, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

function time(query: Record<string, unknown>, key: string): Date | null {
  const v = single(query, key);
  if (v === null) return null;
  const ms = isoInstant(v);
  if (ms === null) throw bad(key, 'must be an ISO-8601 date or time (YYYY-MM-DD[Thh:mm[:ss[.fff]][Z|±hh:mm]]) of a day that exists, between the years 0001 and 9999');
  return new Date(ms);
}

function int(query: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const v = single(query, key);
  if (v === null) return fallback;
  if (!/^-?\d+$/.test(v)) throw bad(key, `must be a whole number between ${min} and ${max}`);
  const n = Number(v);
  if (n < min || n > max) throw bad(key, `must be between ${min} and ${max}`);
  return n;
}
