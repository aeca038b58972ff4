import { randomUUID } from 'node:crypto';

/** A kill report as Smith puts it on the wire (spec 4.1, snake_case JSON). */
export interface KillReportWire {
  kill_id: string;
  timestamp: string;
  target_module: string;
  target_instance_id: string;
  kill_reason: string;
  severity: string;
  confidence_score: number;
  evidence: string[];
  dependencies: string[];
  source_agent: string;
  metadata: Record<string, unknown>;
}

export function killReport(overrides: Partial<KillReportWire> = {}): KillReportWire {
  return {
    kill_id: randomUUID(),
    timestamp: '2026-02-11T12:00:00.000Z',
    target_module: 'nginx-test',
    target_instance_id: 'inst-001',
    kill_reason: 'anomaly_behavior',
    severity: 'low',
    confidence_score: 0.4,
    evidence: ['unusual_traffic'],
    dependencies: [],
    source_agent: 'smith',
    metadata: {},
    ...overrides,
  };
}

/** The JSON envelope around a report, as bytes ready to produce. */
export function smithMessage(payload: unknown, envelope: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: '1.0', message_type: 'KILL_REPORT', payload, correlation_id: randomUUID(), reply_to: 'medic.responses', ...envelope });
}
