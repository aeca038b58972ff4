import type { Mode } from '../decision/decision.types';
import type { RiskLevel, RiskThresholds } from '../risk/risk.types';
import type { CircuitState } from '../siem/circuit-breaker';

/** Operator and learning facts that are not about one kill (topic medic.control.events). */
interface ControlEventBase {
  readonly at: string;
  readonly actor: string;
}

export interface ThresholdsUpdated extends ControlEventBase {
  readonly type: 'ThresholdsUpdated';
  readonly thresholds: RiskThresholds;
  readonly maxRiskLevel: RiskLevel;
  readonly minConfidence: number;
  readonly reason: string;
}

export interface ThresholdsRecalibrated extends ControlEventBase {
  readonly type: 'ThresholdsRecalibrated';
  readonly previousMaxAutoScore: number;
  readonly newMaxAutoScore: number;
  readonly samples: number;
  readonly evidence: readonly string[];
  /** The whole set in force after it; null in events written before it was carried. */
  readonly thresholds: RiskThresholds | null;
  readonly maxRiskLevel: RiskLevel | null;
  readonly minConfidence: number | null;
}

export interface ModeChanged extends ControlEventBase {
  readonly type: 'ModeChanged';
  readonly previous: Mode;
  readonly current: Mode;
  readonly reason: string;
}

export interface SiemCircuitChanged extends ControlEventBase {
  readonly type: 'SiemCircuitChanged';
  readonly siem: string;
  readonly previous: CircuitState;
  readonly current: CircuitState;
  readonly failureCount: number;
  readonly reason: string;
}

/** An admin lifted a module's quarantine; keyed by module on the log. */
export interface ModuleReleased extends ControlEventBase {
  readonly type: 'ModuleReleased';
  readonly module: string;
  readonly reason: string | null;
}

export type ControlEvent = ThresholdsUpdated | ThresholdsRecalibrated | ModeChanged | SiemCircuitChanged | ModuleReleased;
export type ControlEventType = ControlEvent['type'];
