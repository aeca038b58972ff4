import type { JsonObject, ThreatIndicator } from '@medic/domain';

/** What Medic asks the SIEM about one kill. */
export interface SiemQuery {
  readonly killId: string;
  readonly module: string;
  /** The window searched: [from, to], the kill's time and `historical_days` before it. */
  readonly from: string;
  readonly to: string;
}

/** What the SIEM knows about one kill, read defensively: what could not be used is named in `ignored`. */
export interface SiemAnswer {
  readonly killId: string;
  /** Why part of the answer could not be had (a search failed): the kill's context is then unavailable, never read as clean. */
  readonly failed: string | null;
  readonly indicators: readonly ThreatIndicator[];
  readonly falsePositives: number;
  readonly historicalBehavior: JsonObject;
  readonly networkContext: JsonObject;
  readonly userContext: JsonObject | null;
  readonly ignored: readonly string[];
  /** Indicators in the window that could not be used at all (named in `ignored`). */
  readonly unusableIndicators: number;
}

/** A document Medic writes into the SIEM for analysts; the id makes writing it again harmless. */
export interface SiemDocument {
  readonly id: string;
  readonly body: JsonObject;
}

/**
 * The SIEM as Medic uses it (spec 3.1 SIEMAdapter): context for many kills
 * in one round trip, documents written idempotently, and a health check.
 * Errors that are worth retrying carry `retriable: true`.
 */
export interface SiemClient {
  readonly name: string;
  queryContext(queries: readonly SiemQuery[], timeoutMs: number): Promise<SiemAnswer[]>;
  index(documents: readonly SiemDocument[], timeoutMs: number): Promise<void>;
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** An error from the SIEM, saying whether trying again may help. */
export class SiemError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}
