import { assertNever } from '../shared/errors';
import type { RiskLevel } from '../risk/risk.types';
import type { DecisionOutcome, Mode } from './decision.types';
import type { AutoApprovalBarrier } from './policy.types';

export interface ModeOutcome {
  readonly outcome: DecisionOutcome;
  readonly observeOnly: boolean;
  /** The reasoning line that says what the mode made of the verdict. */
  readonly explanation: string;
  /** Set when the kill would have gone to a human but the approval queue was full, so it is denied. */
  readonly queueFull: boolean;
}

interface Verdict {
  readonly denied: boolean;
  readonly barriers: readonly AutoApprovalBarrier[];
  readonly level: RiskLevel;
  /** The approval queue holds as many items as it may (interfaces.approval_queue.max_pending). */
  readonly queueFull?: boolean;
}

const MODE_NAMES: Readonly<Record<Mode, string>> = { observer: 'Observer', manual: 'Manual', semi_auto: 'Semi-auto', full_auto: 'Full-auto' };

/**
 * Applies the operating mode to a verdict that is already denied, eligible or
 * neither. A kill that would wait for a human while the approval queue is
 * full is denied instead: the queue is a bound on the humans' work, and
 * the safe side of a kill no one can look at is that it stands.
 */
export function outcomeForMode(mode: Mode, verdict: Verdict): ModeOutcome {
  const outcome = modeOutcome(mode, verdict);
  if (outcome.outcome !== 'pending_review' || outcome.observeOnly || verdict.queueFull !== true) return { ...outcome, queueFull: false };
  return {
    outcome: 'deny',
    observeOnly: false,
    queueFull: true,
    explanation: `${MODE_NAMES[mode]} mode: a human would decide, but the approval queue is full; outcome deny.`,
  };
}

function modeOutcome(mode: Mode, verdict: Verdict): Omit<ModeOutcome, 'queueFull'> {
  const semiAuto = semiAutoOutcome(verdict);
  switch (mode) {
    case 'observer':
      return {
        outcome: semiAuto,
        observeOnly: true,
        explanation: `Observer mode: the verdict would be ${semiAuto}; no action will be taken.`,
      };
    case 'manual': {
      const outcome = verdict.denied ? 'deny' : 'pending_review';
      const explanation = verdict.denied
        ? 'Manual mode: a human decides every resurrection the policy does not deny outright; this one is denied, so no human is asked.'
        : 'Manual mode: a human decides every resurrection; outcome pending_review.';
      return { outcome, observeOnly: false, explanation };
    }
    case 'semi_auto':
      return {
        outcome: semiAuto,
        observeOnly: false,
        explanation: `Semi-auto mode: auto-approve only when eligible; outcome ${semiAuto}.`,
      };
    case 'full_auto':
      return fullAutoOutcome(verdict, semiAuto);
    default:
      return assertNever(mode, 'mode');
  }
}

function semiAutoOutcome({ denied, barriers }: Verdict): DecisionOutcome {
  if (denied) return 'deny';
  return barriers.length === 0 ? 'approve_auto' : 'pending_review';
}

/**
 * Barriers that are themselves signs the kill was right: they can only make a
 * denial more certain, never call for a human to weigh bringing the module back.
 */
const THREAT_SIGNS: ReadonlySet<AutoApprovalBarrier['code']> = new Set(['risk_level', 'smith_confident', 'critical_severity']);

// Full-auto denies high risk on its own when nothing but signs of a real threat
// bars auto-approval: a more confident Smith or a critical severity never turns
// a denial into a review. Any other barrier (budget, SIEM down, burst, a module
// that always needs a human, …) still goes to a human.
function fullAutoOutcome(verdict: Verdict, semiAuto: DecisionOutcome): Omit<ModeOutcome, 'queueFull'> {
  const codes = verdict.barriers.map((b) => b.code);
  const onlyThreatSigns = codes.includes('risk_level') && codes.every((code) => THREAT_SIGNS.has(code));
  if (!verdict.denied && verdict.level === 'high' && onlyThreatSigns) {
    const explanation =
      codes.length === 1
        ? 'Full-auto mode: high risk is the only bar to auto-approval, so the resurrection is denied autonomously.'
        : `Full-auto mode: high risk, and nothing but signs of a real threat bar auto-approval (${codes.join(', ')}), so the resurrection is denied autonomously.`;
    return { outcome: 'deny', observeOnly: false, explanation };
  }
  return { outcome: semiAuto, observeOnly: false, explanation: `Full-auto mode: outcome ${semiAuto}.` };
}
