import { isValidTopicName, VETO_ANSWER_TYPE, VETO_DECISIONS, type VetoDecision } from '@medic/domain';
import { parseCommandArgs } from './cli-args';
import { CliError, shown } from './cli-config';

/** How the simulated Smith answers: one of spec 4.4's decisions, or not at all. */
export const ANSWER_POLICIES = [...VETO_DECISIONS, 'silent'] as const;
export type AnswerPolicy = (typeof ANSWER_POLICIES)[number];

export interface SmithAnswerOptions {
  readonly policy: AnswerPolicy;
  readonly reason: string;
  readonly evidence: readonly string[];
  /** Stop after this many notices; null: until Ctrl-C. */
  readonly count: number | null;
}

export const ANSWER_USAGE =
  'usage: medic smith answer --policy approve|veto|defer|silent [--reason R] [--evidence a,b] [--count N | --once]';

/** Reads `medic smith answer` arguments; anything off is a usage error naming it. */
export function parseSmithAnswer(args: readonly string[]): SmithAnswerOptions {
  const { values } = parseCommandArgs(args, {
    usage: ANSWER_USAGE,
    options: { policy: { type: 'string' }, reason: { type: 'string' }, evidence: { type: 'string' }, count: { type: 'string' }, once: { type: 'boolean' } },
    expects: { policy: `one of ${ANSWER_POLICIES.join(', ')}` },
  });
  const policy = values.policy;
  if (policy === undefined) throw new CliError(`--policy is required\n${ANSWER_USAGE}`, 2);
  if (!(ANSWER_POLICIES as readonly string[]).includes(policy)) throw new CliError(`--policy must be one of ${ANSWER_POLICIES.join(', ')}`, 2);
  if (values.once && values.count !== undefined) throw new CliError(`--once and --count exclude each other\n${ANSWER_USAGE}`, 2);
  if (values.count !== undefined && !/^[1-9]\d{0,5}$/.test(values.count)) throw new CliError(`--count must be a whole number from 1 to 999999, not ${shown(values.count)}\n${ANSWER_USAGE}`, 2);
  const reason = values.reason ?? `smith-simulator: ${policy}`;
  if (reason.length > 2_000) throw new CliError('--reason must be at most 2,000 characters', 2);
  return {
    policy: policy as AnswerPolicy,
    reason,
    evidence: (values.evidence ?? '').split(',').filter((e) => e.length > 0),
    count: values.once ? 1 : values.count !== undefined ? Number(values.count) : null,
  };
}

/** What the simulator needs of a PRE_RESURRECTION_NOTICE (spec 4.4). */
export interface ReceivedNotice {
  readonly requestId: string;
  readonly correlationId: string | null;
  readonly killId: string;
  readonly targetModule: string;
  readonly replyTo: string | null;
  readonly timeoutSeconds: number | null;
  readonly risk: string;
}

/** A notice off Smith's topic, or why the message is not one. */
export function readNotice(raw: Buffer | null): ReceivedNotice | string {
  let value: unknown;
  try {
    value = JSON.parse((raw ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const n = value as Record<string, unknown>;
  if (n['message_type'] !== 'PRE_RESURRECTION_NOTICE') return `message_type ${JSON.stringify(n['message_type'])} is not PRE_RESURRECTION_NOTICE`;
  const text = (key: string): string | null => {
    const v = n[key];
    return typeof v === 'string' && v.length > 0 ? v : null;
  };
  const requestId = text('request_id');
  const killId = text('kill_id');
  if (requestId === null || killId === null) return 'request_id or kill_id is missing';
  const replyTo = text('reply_to');
  const risk = (n['risk_assessment'] ?? {}) as Record<string, unknown>;
  const shown = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');
  return {
    requestId,
    correlationId: text('correlation_id'),
    killId,
    targetModule: text('target_module') ?? '?',
    replyTo: replyTo !== null && isValidTopicName(replyTo) ? replyTo : null,
    timeoutSeconds: typeof n['timeout_seconds'] === 'number' ? n['timeout_seconds'] : null,
    risk: `${shown(risk['level'])} ${shown(risk['score'])}`,
  };
}

/** Smith's RESURRECTION_VETO to a notice (spec 4.4), naming it by request and correlation id. */
export function vetoAnswer(notice: ReceivedNotice, decision: VetoDecision, options: Pick<SmithAnswerOptions, 'reason' | 'evidence'>, at: Date): string {
  return JSON.stringify({
    message_type: VETO_ANSWER_TYPE,
    request_id: notice.requestId,
    ...(notice.correlationId ? { correlation_id: notice.correlationId } : {}),
    decision,
    reason: options.reason,
    new_evidence: [...options.evidence],
    counter_proposal: {},
    timestamp: at.toISOString(),
  });
}
