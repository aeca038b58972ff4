import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { KILL_REASONS, parseSmithKillMessage, SEVERITIES, SIGNATURE_HEADERS, SIGNING_KEY_ID } from '@medic/domain';
import { parseCommandArgs } from './cli-args';
import { CliError, readInputFile, shown } from './cli-config';

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
  /** The modules that depend on the one killed (--dependencies a,b): a cascade's order. */
  readonly dependencies: readonly string[];
  /** Stop the module's container first, as Smith would. */
  readonly stop: boolean;
  /** Sign the report (--sign-key <Ed25519 private key PEM> --key-id <id>), as a Smith with a key Medic trusts would. */
  readonly signWith: { readonly keyId: string; readonly key: KeyObject } | null;
}

const USAGE = 'usage: medic smith kill <module> [--severity critical|high|medium|low|info] [--confidence 0..1] [--reason <kill reason>] [--kill-id <id>] [--instance <id>] [--evidence a,b] [--dependencies a,b] [--stop] [--sign-key <ed25519 private key .pem> --key-id <id>]';

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
      dependencies: { type: 'string' },
      stop: { type: 'boolean' },
      'sign-key': { type: 'string' },
      'key-id': { type: 'string' },
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
    dependencies: (values.dependencies ?? '').split(',').filter((d) => d.length > 0),
    stop: values.stop ?? false,
    signWith: signingOf(values['sign-key'], values['key-id']),
  };
  // What Medic's listener would refuse is refused here, with its reason.
  // Without reply_to: the topic the report names is Medic's config's, checked by Medic.
  const check = parseSmithKillMessage(Buffer.from(smithKillMessage(kill, new Date(), null)), {});
  if (!check.ok) throw new CliError(`Medic would refuse this report: ${check.error.reason}`, 2);
  return kill;
}

/** The key and key id to sign with, both or neither given. */
function signingOf(file: string | undefined, keyId: string | undefined): SmithKill['signWith'] {
  if (file === undefined && keyId === undefined) return null;
  if (file === undefined || keyId === undefined) throw new CliError(`--sign-key and --key-id go together\n${USAGE}`, 2);
  if (!SIGNING_KEY_ID.pattern.test(keyId)) throw new CliError(`--key-id must be ${SIGNING_KEY_ID.rule}`, 2);
  const text = readInputFile(file);
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (error) {
    throw new CliError(`${shown(file)} is not a private key in PEM: ${shown((error as Error).message)}`, 2);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new CliError(`${shown(file)} is a ${key.asymmetricKeyType ?? 'unknown'} key; an Ed25519 key is needed (openssl genpkey -algorithm ed25519)`, 2);
  return { keyId, key };
}

/** The record's signature headers (smith_key_id, smith_signature) for its bytes, or none. */
export function signatureHeaders(kill: SmithKill, value: string): Record<string, string> | undefined {
  if (kill.signWith === null) return undefined;
  return { [SIGNATURE_HEADERS.keyId]: kill.signWith.keyId, [SIGNATURE_HEADERS.signature]: sign(null, Buffer.from(value), kill.signWith.key).toString('base64') };
}

/** The report's bytes, in Smith's JSON envelope, asking for answers on `replyTo` (none: Medic's default). */
export function smithKillMessage(kill: SmithKill, at: Date, replyTo: string | null): string {
  return JSON.stringify({
    version: '1.0',
    message_type: 'KILL_REPORT',
    correlation_id: randomUUID(),
    ...(replyTo === null ? {} : { reply_to: replyTo }),
    payload: {
      kill_id: kill.killId,
      timestamp: at.toISOString(),
      target_module: kill.module,
      target_instance_id: kill.instance ?? `${kill.module}-1`,
      kill_reason: kill.reason,
      severity: kill.severity,
      confidence_score: kill.confidence,
      evidence: [...kill.evidence],
      dependencies: [...kill.dependencies],
      source_agent: 'smith-simulator',
      metadata: {},
    },
  });
}
