/*
 * What one health check of a resurrected module saw: the container as the
 * engine reports it, and the module's configured probes. Gathered by the
 * monitor service; judged here.
 */

/** The engine's healthcheck verdict; `none` when the container defines no healthcheck. */
export type EngineHealth = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface ContainerObservation {
  readonly running: boolean;
  /** The engine's word for the state: running, exited, restarting, paused… */
  readonly status: string;
  /** Of the last exit; null while it has never exited. */
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  /** Restarts the engine made (restart policy) over the container's life. */
  readonly restartCount: number;
  readonly startedAt: string | null;
  readonly health: EngineHealth;
}

export interface ProbeObservation {
  /** Names the probe in findings and metrics, e.g. "http http://127.0.0.1:8080/health". */
  readonly name: string;
  readonly ok: boolean;
  readonly latencyMs: number;
  /** What it saw: "answered 200", "answered 404, expected 200", "connection refused", "timed out after 2s". */
  readonly detail: string;
  /** Failures in a row before the probe counts as failed. */
  readonly failureThreshold: number;
}

export interface CheckObservation {
  /** Null when the container is gone. */
  readonly container: ContainerObservation | null;
  readonly probes: readonly ProbeObservation[];
}
