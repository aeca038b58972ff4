import type { RiskLevel } from '../risk/risk.types';
import type { ResurrectionVetoed, VetoCleared, VetoDeferred, VetoRequested } from '../workflow/kill-events';

/** What Smith may answer to a pre-resurrection notice (spec 4.4). */
export const VETO_DECISIONS = ['approve', 'veto', 'defer'] as const;
export type VetoDecision = (typeof VETO_DECISIONS)[number];

/** What Smith's silence (or its deferring past the limit) means: resurrect anyway, or not. */
export const VETO_DEFAULTS = ['proceed', 'abort'] as const;
export type VetoDefault = (typeof VETO_DEFAULTS)[number];

/** The veto exchange's rules (config `smith.veto_protocol.*`). */
export interface VetoSettings {
  /** How long Smith has to answer a notice. */
  readonly timeoutSeconds: number;
  readonly defaultOnTimeout: VetoDefault;
  /** How long after a defer the notice is sent again. */
  readonly deferDelaySeconds: number;
  /** How many defers are honoured; the next one settles the exchange by the default. */
  readonly maxDefers: number;
}

/** Smith's RESURRECTION_VETO, as read from the wire. */
export interface VetoAnswer {
  readonly requestId: string | null;
  readonly correlationId: string | null;
  /** The kill, when Smith names it. */
  readonly killId: string | null;
  readonly decision: VetoDecision;
  readonly reason: string;
  readonly newEvidence: readonly string[];
  readonly timestamp: string | null;
}

/** The events of a veto exchange, all about one kill. */
export type VetoEvent = VetoRequested | VetoDeferred | VetoCleared | ResurrectionVetoed;

export type VetoExchangeStatus = 'asked' | 'deferred' | 'cleared' | 'vetoed';

/** One kill's exchange with Smith, folded from its veto events. */
export interface VetoExchange {
  readonly killId: string;
  readonly status: VetoExchangeStatus;
  /** The latest notice. */
  readonly requestId: string;
  readonly correlationId: string;
  readonly attempt: number;
  readonly timeoutSeconds: number;
  readonly defers: number;
  /** Asked: Smith's deadline; deferred: when to ask again; settled: null. */
  readonly dueAt: string | null;
  /** How it was settled (Smith's word, its silence, or its deferring), once it is. */
  readonly basis: VetoCleared['basis'] | ResurrectionVetoed['basis'] | null;
  readonly approvedBy: string;
  readonly noticeTopic: string;
  readonly replyTo: string;
}

/** A notice as its ids name it: an answer names one, by either. */
export interface VetoAsk {
  readonly requestId: string;
  readonly correlationId: string;
}

/** What the notice tells Smith about the risk (spec 4.4 `risk_assessment`). */
export interface NoticeRisk {
  readonly level: RiskLevel;
  readonly score: number;
  /** Each factor of the score that took part, with its contribution. */
  readonly factors: Readonly<Record<string, number>>;
}

/** The PRE_RESURRECTION_NOTICE on the wire (spec 4.4), plus where to answer. */
export interface PreResurrectionNotice {
  readonly message_type: 'PRE_RESURRECTION_NOTICE';
  readonly request_id: string;
  readonly kill_id: string;
  readonly target_module: string;
  readonly proposed_action: 'resurrect';
  readonly risk_assessment: NoticeRisk;
  readonly timeout_seconds: number;
  readonly correlation_id: string;
  /** Not in spec 4.4: the topic Medic reads the answer from (the kill's reply_to, else its default). */
  readonly reply_to: string;
}
