import { randomUUID } from 'node:crypto';
import { KILL_REASONS, parseSmithKillMessage, SEVERITIES } from '@medic/domain';
import { parseCommandArgs } from './cli-args';
import { CliError } from './cli-config';

/** What `medic smith kill` sends, as Smith would: a spec 4.1 KILL_REPORT. */
export interface SmithKill {
  readonly module: string;
  readonly killId: string;
  readonly severity: string;
  readonly confidence: number;
  readonly reason: string;
  /** The instance killed (--instance); null when not given: the container stopped, else `<module>-1`. */
  readonly instance: string | null;
  readonly evidence: readonly string[];
  /** Stop the module's container first, as Smith would. */
  readonly stop: boolean;
}

const USAGE = 'usage: medic smith kill <module> [--severity critical|high|medium|low|info] [--confidence 0..1] [--reason <kill reason>] [--kill-id <id>] [--instance <id>] [--evidence a,b] [--stop]';

/** Reads `medic smith kill` arguments; anything off is a usage error naming it. */
export function parseSmithKill(args: readonly string[]): SmithKill {
  const { values, positionals } = parseCommandArgs(args, {
    usage: USAGE,
    options: {
      severity: { type: 'string' },
      confidence: { type: 'string' },
      reason: { type: 'string' },
      'kill-id': { type: 'string' },
      instance: { type: 'string' },
      evidence: { type: 'string' },
      stop: { type: 'boolean' },
    },
    positionals: ['<module>'],
    expects: { severity: `one of ${SEVERITIES.join(', ')}`, reason: `one of ${KILL_REASONS.join(', ')}` },
  });
  const module = positionals[0]!;
  const severity = values.severity ?? 'low';
  if (!(SEVERITIES as readonly string[]).includes(severity)) throw new CliError(`--severity must be one of ${SEVERITIES.join(', ')}`, 2);
  const reason = values.reason ?? 'anomaly_behavior';
  if (!(KILL_REASONS as readonly string[]).includes(reason)) throw new CliError(`--reason must be one of ${KILL_REASONS.join(', ')}`, 2);
  const confidenceText = values.confidence ?? '0.4';
  const confidence = Number(confidenceText);
  if (!/^\d*\.?\d+$/.test(confidenceText) || confidence < 0 || confidence > 1) throw new CliError('--confidence must be a number from 0 to 1', 2);
  const kill: SmithKill = {
    module,
    killId: values['kill-id'] ?? `smith-${randomUUID()}`,
    severity,
    confidence,
    reason,
    instance: values.instance ?? null,
    evidence: (values.evidence ?? 'smith-simulator').split(',').filter((e) => e.length > 0),
    stop: values.stop ?? false,
  };
  // What Medic's listener would refuse is refused here, with its reason.
  const check = parseSmithKillMessage(Buffer.from(smithKillMessage(kill, new Date())), {});
  if (!check.ok) throw new CliError(`Medic would refuse this report: ${check.error.reason}`, 2);
  return kill;
}

/** The report's bytes, in Smith's JSON envelope. */
export function smithKillMessage(kill: SmithKill, at: Date): string {
  return JSON.stringify({
    version: '1.0',
    message_type: 'KILL_REPORT',
    correlation_id: randomUUID(),
    reply_to: 'medic.responses',
    payload: {
      kill_id: kill.killId,
      timestamp: at.toISOString(),
      target_module: kill.module,
      target_instance_id: kill.instance ?? `${kill.module}-1`,
      kill_reason: kill.reason,
      severity: kill.severity,
      confidence_score: kill.confidence,
      evidence: [...kill.evidence],
      dependencies: [],
      source_agent: 'smith-simulator',
      metadata: {},
    },
  });
}
