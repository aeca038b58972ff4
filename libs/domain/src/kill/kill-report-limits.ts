/** Bounds on what Smith may send us; an input outside them is refused, never truncated. */
export interface KillReportLimits {
  /** Whole message, checked before parsing so a huge message costs nothing. */
  readonly maxMessageBytes: number;
  readonly maxKillIdLength: number;
  readonly maxModuleNameLength: number;
  readonly maxEvidenceItems: number;
  readonly maxEvidenceLength: number;
  readonly maxDependencies: number;
  /** The metadata object itself is depth 1. */
  readonly maxMetadataDepth: number;
  /** Keys counted over every nested object of the metadata. */
  readonly maxMetadataKeys: number;
  /**
   * How far a report's timestamp may lie after the moment Medic received it:
   * Smith's clock running a little ahead of Medic's. A kill dated later than
   * that has not happened yet, and is refused.
   */
  readonly maxTimestampAheadMs: number;
  /**
   * The topics a report's reply_to may name: those Medic reads Smith's veto
   * answers from. Any other name is refused, so a report never makes Medic
   * create a topic or read one (its own event log, Kafka's `__` topics).
   */
  readonly replyTopics: readonly string[];
}

export const DEFAULT_KILL_REPORT_LIMITS: KillReportLimits = Object.freeze({
  maxMessageBytes: 65_536,
  maxKillIdLength: 128,
  maxModuleNameLength: 253,
  maxEvidenceItems: 100,
  maxEvidenceLength: 1024,
  maxDependencies: 100,
  maxMetadataDepth: 8,
  maxMetadataKeys: 200,
  maxTimestampAheadMs: 5 * 60_000,
  // Spec 4.1's reply topic, smith.event_bus.response_topic's default.
  replyTopics: Object.freeze(['medic.responses']),
});
