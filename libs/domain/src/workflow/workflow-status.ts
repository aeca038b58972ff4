/** Where one kill is in its life (spec 8.5, extended per ARCHITECTURE §3). */
export const WORKFLOW_STATUSES = [
  'PENDING',
  'APPROVED',
  'EXECUTING',
  'MONITORING',
  'STABLE',
  'COMPLETED',
  'FAILED',
  'DENIED',
  'EXPIRED',
  'VETOED',
  'ANOMALY_DETECTED',
  'ROLLING_BACK',
  'ROLLED_BACK',
] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/**
 * Every status change a kill may make. Differences from spec 8.5: PENDING no
 * longer goes to FAILED (nothing can fail before anything was tried) but to
 * DENIED, EXPIRED and APPROVED; APPROVED may be VETOED by Smith; a rollback
 * ends in ROLLED_BACK or, when the rollback itself fails, FAILED; an
 * operator may roll back a resurrection that is still monitored or already
 * stable, not only an anomalous one (MONITORING and STABLE go to
 * ROLLING_BACK too); and a FAILED resurrection may be retried (EXECUTING
 * again, a new attempt), the executor's policy deciding how often; an
 * automatic approval a quarantine overtook before anything was started goes
 * back to PENDING, for a human.
 */
export const TRANSITIONS: Readonly<Record<WorkflowStatus, readonly WorkflowStatus[]>> = {
  PENDING: ['APPROVED', 'DENIED', 'EXPIRED'],
  APPROVED: ['EXECUTING', 'VETOED', 'FAILED', 'PENDING'],
  EXECUTING: ['MONITORING', 'FAILED'],
  MONITORING: ['STABLE', 'ANOMALY_DETECTED', 'ROLLING_BACK'],
  STABLE: ['COMPLETED', 'ROLLING_BACK'],
  ANOMALY_DETECTED: ['ROLLING_BACK', 'STABLE'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  FAILED: ['EXECUTING'],
  COMPLETED: [],
  DENIED: [],
  EXPIRED: [],
  VETOED: [],
  ROLLED_BACK: [],
};

export function canTransition(from: WorkflowStatus, to: WorkflowStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses no event can leave. */
export function isTerminal(status: WorkflowStatus): boolean {
  return TRANSITIONS[status].length === 0;
}
