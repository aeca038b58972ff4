import { z } from 'zod';
import { MODES } from '../../domain/src/decision/decision.types';
import { VETO_DEFAULTS } from '../../domain/src/veto/veto.types';
import { THRESHOLD_BOUNDS } from '../../domain/src/control/decision-thresholds';
import { SIGNING_KEY_ID } from '../../domain/src/kill/report-signature';
import { KILL_REASONS } from '../../domain/src/kill/kill-report';
import { BROKERS_FORMAT, parseBrokerList } from './kafka-brokers';
import { probesSchema } from './probes.schema';
import { refineReplyTopics } from './reply-topics';
import { ed25519PublicKey } from './signing-keys';

// Every key has a safe default (observer mode, auto-approval off), so an empty file is a valid config.
// Objects are strict: an unknown key is a typo until proven otherwise.

/** Every number of the config: YAML's .inf (or 1e400) is a number too, and would make every duration built from it invalid. */
const num = () => z.number().finite('must be a finite number');
const score = num().min(0, 'must be within [0,1]').max(1, 'must be within [0,1]');
const openScore = num().gt(0, 'must be within (0,1)').lt(1, 'must be within (0,1)');
const positiveInt = num().int().positive();
const nonNegativeInt = num().int().nonnegative();
const positiveNumber = num().positive();
const port = num().int().min(1, 'must be a port in 1..65535').max(65_535, 'must be a port in 1..65535');
const nonEmpty = z.string().trim().min(1, 'must not be empty');
const bool = (value: boolean) => z.boolean().default(value);
const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)');
const moduleName = nonEmpty;

/** A URL of the given scheme(s), reported once whether it is malformed or of another scheme. */
const urlOf = (scheme: RegExp, message: string) =>
  z.string().refine((text) => URL.canParse(text) && scheme.test(new URL(text).protocol), message);
const httpUrl = urlOf(/^https?:$/i, 'must be an http(s):// URL');
const postgresUrl = urlOf(/^postgres(ql)?:$/i, 'must be a postgres:// URL');
const brokers = z.string().transform((text, ctx) => {
  const list = parseBrokerList(text);
  if (list !== undefined) return list.join(',');
  ctx.addIssue({ code: 'custom', message: `must be ${BROKERS_FORMAT}` });
  return z.NEVER;
});

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export const API_ROLES = ['admin', 'operator', 'viewer'] as const;
/** `critical` is not offered: critical risk is always denied. */
export const AUTO_APPROVE_RISK_LEVELS = THRESHOLD_BOUNDS;
const mode = z.enum(MODES);

const thresholds = z
  .object({
    minimal: openScore.default(0.2),
    low: openScore.default(0.4),
    medium: openScore.default(0.6),
    high: openScore.default(0.8),
  })
  .strict()
  .superRefine((t, ctx) => {
    const pairs = [['minimal', 'low'], ['low', 'medium'], ['medium', 'high']] as const;
    for (const [below, above] of pairs) {
      if (t[above] <= t[below]) {
        ctx.addIssue({ code: 'custom', path: [above], message: `must be greater than risk.thresholds.${below} (${t[below]})` });
      }
    }
  });

const weights = z
  .object({
    smith_confidence: num().nonnegative().default(0.3),
    siem_risk_score: num().nonnegative().default(0.25),
    false_positive_history: num().nonnegative().default(0.2),
    module_criticality: num().nonnegative().default(0.15),
    severity: num().nonnegative().default(0.1),
  })
  .strict()
  .superRefine((w, ctx) => {
    const sum = Object.values(w).reduce((total, weight) => total + weight, 0);
    if (Math.abs(sum - 1) > 1e-6) ctx.addIssue({ code: 'custom', message: `must sum to 1 (they sum to ${+sum.toFixed(6)})` });
  });

// Kubernetes' CrashLoopBackOff numbers; fractional seconds so that tests can run them fast.
const backoff = z
  .object({
    initial_seconds: positiveNumber.default(10),
    max_seconds: positiveNumber.default(300),
    reset_after_stable_seconds: positiveNumber.default(600),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.max_seconds < b.initial_seconds) ctx.addIssue({ code: 'custom', path: ['max_seconds'], message: `must be at least initial_seconds (${b.initial_seconds})` });
  });

const apiKey = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ @ -'),
    role: z.enum(API_ROLES),
    key_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the key as 64 hex characters')
      .transform((hex) => hex.toLowerCase()),
  })
  .strict();

const apiKeys = z.array(apiKey).superRefine((keys, ctx) => {
  keys.forEach((key, index) => {
    if (keys.findIndex((other) => other.name === key.name) < index) {
      ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate API key name "${key.name}"` });
    }
  });
});

export const medicConfigSchema = z
  .object({
    version: z
      .string({ invalid_type_error: 'must be a quoted string such as "1.0"' })
      .regex(/^1(\.\d+)?$/, 'unsupported config version (expected "1.x")')
      .default('1.0'),
    mode: z.object({ current: mode.default('observer'), fallback: mode.default('observer') }).strict().default({}),
    smith: z
      .object({
        event_bus: z
          .object({
            topic: topic.default('smith.events.kill_notifications'),
            response_topic: topic.default('medic.responses'),
            dlq_topic: topic.default('medic.dlq.kill_notifications'),
            consumer_group: nonEmpty.default('medic-listener'),
            max_message_bytes: positiveInt.default(65_536),
          })
          .strict()
          .default({}),
        veto_protocol: z
          .object({
            enabled: bool(false),
            /** Smith's time to answer a notice; whole seconds, as the notice says it. */
            timeout_seconds: positiveInt.default(30),
            /** Where PRE_RESURRECTION_NOTICEs go (Smith reads them there). */
            request_topic: topic.default('smith.veto.requests'),
            /** Answers that cannot be read or match no open notice, with the reason. */
            dlq_topic: topic.default('medic.dlq.veto_responses'),
            /** What Smith's silence past the deadline means. */
            default_on_timeout: z.enum(VETO_DEFAULTS).default('proceed'),
            defer_delay_seconds: positiveNumber.default(60),
            max_defers: nonNegativeInt.default(3),
            /** The topics a kill report's reply_to may name (the response topic is always one); default: just the response topic. */
            reply_topics: z.array(topic).optional(),
          })
          .strict()
          .default({}),
        /** Ed25519-signed kill reports (README "Signed kill reports"). */
        signing: z
          .object({
            /** true: a report not signed by a trusted key is dead-lettered. */
            required: bool(false),
            /** Key id → Ed25519 public key (base64 of its 32 bytes, or a PEM block). */
            trusted_keys: z
              .record(
                z.string().regex(SIGNING_KEY_ID.pattern, `key ids are ${SIGNING_KEY_ID.rule}`),
                z.string().refine((text) => ed25519PublicKey(text) !== null, 'must be an Ed25519 public key: the base64 of its 32 bytes, or a PEM PUBLIC KEY block'),
              )
              .default({}),
            /** How old a signed report's kill may be when the listener reads it. */
            max_age_seconds: positiveInt.default(900),
          })
          .strict()
          .refine((s) => !s.required || Object.keys(s.trusted_keys).length > 0, { message: 'required is true but trusted_keys is empty: every report would be refused', path: ['required'] })
          .default({}),
      })
      .strict()
      .transform((s) => ({ ...s, veto_protocol: { ...s.veto_protocol, reply_topics: s.veto_protocol.reply_topics ?? [s.event_bus.response_topic] } }))
      .default({}),
    siem: z
      .object({
        enabled: bool(false),
        endpoint: httpUrl.default('http://127.0.0.1:9200'),
        /** Normally from SIEM_API_KEY; never printed (see redactConfig). */
        api_key: z.string().min(1, 'must not be empty').optional(),
        /** PEM CA of an https:// endpoint's certificate, when the system's CAs do not know it. */
        ca_file: nonEmpty.nullable().default(null),
        timeout_seconds: positiveNumber.default(30),
        /** How far back before a kill its SIEM context is looked for. */
        historical_days: positiveInt.default(30),
        /** At most this many threat indicators are read per kill. */
        max_results: positiveInt.max(1000).default(50),
        retry: z
          .object({
            max_attempts: positiveInt.default(3),
            backoff_seconds: num().nonnegative().default(2),
            max_backoff_seconds: num().nonnegative().default(30),
            jitter: bool(true),
          })
          .strict()
          .default({}),
        circuit_breaker: z
          .object({
            failure_threshold: positiveInt.default(5),
            recovery_timeout_seconds: positiveNumber.default(60),
            half_open_max_calls: positiveInt.default(3),
          })
          .strict()
          .default({}),
        elasticsearch: z
          .object({
            /** Index patterns searched for threat indicators and for the module's own events. */
            indicators_index: nonEmpty.default('threat-indicators*'),
            module_events_index: nonEmpty.default('module-events*'),
            /** Where Medic writes its decisions and outcomes for analysts (report_outcome). */
            medic_index: nonEmpty.default('medic-outcomes'),
            fields: z
              .object({
                timestamp: nonEmpty.default('@timestamp'),
                module: nonEmpty.default('service.name'),
                indicator_type: nonEmpty.default('threat.indicator.type'),
                indicator_value: nonEmpty.default('threat.indicator.name'),
                indicator_score: nonEmpty.default('threat.indicator.score'),
                indicator_source: nonEmpty.default('threat.indicator.provider'),
                indicator_last_seen: nonEmpty.default('threat.indicator.last_seen'),
                tags: nonEmpty.default('tags'),
                event_action: nonEmpty.default('event.action'),
                event_outcome: nonEmpty.default('event.outcome'),
                source_ip: nonEmpty.default('source.ip'),
                destination_ip: nonEmpty.default('destination.ip'),
                user: nonEmpty.default('user.name'),
              })
              .strict()
              .default({}),
            /** Module events carrying this tag were false positives (an analyst's verdict). */
            false_positive_tag: nonEmpty.default('false_positive'),
            /** The actions (fields.event_action) of a module's kill events: only a kill tagged false_positive_tag counts as a false positive. */
            kill_actions: z.array(nonEmpty).min(1).default(['killed']),
          })
          .strict()
          .default({}),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (s.ca_file !== null && !s.endpoint.toLowerCase().startsWith('https:')) ctx.addIssue({ code: 'custom', path: ['ca_file'], message: 'is used with an https:// endpoint only' });
      })
      .default({}),
    decision: z
      .object({
        default_timeout_minutes: positiveInt.default(60),
        confidence_threshold: score.default(0.7),
        auto_approve: z
          .object({
            enabled: bool(false),
            max_risk_level: z.enum(AUTO_APPROVE_RISK_LEVELS).default('low'),
            min_confidence: score.default(0.85),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    risk: z
      .object({
        thresholds: thresholds.default({}),
        weights: weights.default({}),
        module_criticality: z
          .object({ default: score.default(0.5), modules: z.record(moduleName, score).default({}) })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    // Not strict: the spec's older files carry executor settings here that Medic does not use.
    resurrection: z
      .object({
        // Fractions allowed (0.1 minutes, 0.5 seconds): short windows for demos and tests.
        monitoring_duration_minutes: positiveNumber.default(30),
        health_check_interval_seconds: positiveNumber.default(30),
        max_retry_attempts: nonNegativeInt.default(2),
        /** A kill of a module this long after its resurrection was confirmed stable is a re-kill of it. */
        rekill_window_minutes: num().nonnegative().default(10),
        /** A watched module found stopped or gone waits this long for its kill report (a re-kill) before it is an anomaly. */
        kill_report_grace_seconds: num().nonnegative().max(3_600).default(5),
        /** How long one call on the container engine may take before it counts as the engine not answering. */
        engine_timeout_seconds: positiveNumber.default(30),
        rollback: z
          .object({ enabled: bool(true), auto_trigger_on_anomaly: bool(true), anomaly_threshold: score.default(0.7) })
          .strict()
          .default({}),
        quarantine_after_rekills: positiveInt.default(3),
        backoff: backoff.default({}),
        /** Dependencies before dependents: kills reported within window_seconds of each other form a cascade (0: no order). */
        cascade: z
          .object({
            window_seconds: num().nonnegative().max(86_400).default(60),
            max_wait_seconds: num().nonnegative().max(86_400).default(300),
            /** A held-back dependent is resumed when what it waits for settles; besides, it looks again this often. */
            recheck_seconds: num().min(1).max(3_600).default(10),
          })
          .strict()
          .default({}),
        probes: probesSchema(moduleName),
      })
      .strip()
      .superRefine((r, ctx) => {
        if (r.health_check_interval_seconds > r.monitoring_duration_minutes * 60) {
          const window = `${r.monitoring_duration_minutes * 60}s`;
          ctx.addIssue({ code: 'custom', path: ['health_check_interval_seconds'], message: `must not exceed the monitoring window (resurrection.monitoring_duration_minutes, ${window})` });
        }
      })
      .default({}),
    interfaces: z
      .object({
        web: z
          .object({
            port: port.default(8000),
            host: nonEmpty.default('127.0.0.1'),
            // Every request is answered within this, 503 when Postgres or Kafka does not answer in time.
            request_timeout_seconds: positiveNumber.default(10),
            // Per API key (per client address for requests without a valid key); 0 requests a second: no limit.
            rate_limit: z
              .object({ requests_per_second: num().nonnegative().default(100), burst: positiveInt.default(200) })
              .strict()
              .default({}),
            // HTTPS: a certificate and its key (PEM files), or neither for plain HTTP; a client CA asks every client for a certificate it signed.
            tls: z
              .object({ cert_file: nonEmpty.nullable().default(null), key_file: nonEmpty.nullable().default(null), client_ca_file: nonEmpty.nullable().default(null) })
              .strict()
              .superRefine((t, ctx) => {
                if ((t.cert_file === null) !== (t.key_file === null)) {
                  ctx.addIssue({ code: 'custom', path: [t.cert_file === null ? 'cert_file' : 'key_file'], message: 'cert_file and key_file go together: set both for HTTPS, or neither' });
                }
                if (t.client_ca_file !== null && t.cert_file === null) ctx.addIssue({ code: 'custom', path: ['client_ca_file'], message: 'client certificates need HTTPS: set cert_file and key_file too' });
              })
              .default({}),
          })
          .strict()
          .default({}),
        approval_queue: z
          .object({ max_pending: positiveInt.default(100), timeout_hours: positiveNumber.default(24) })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    learning: z
      .object({
        enabled: bool(false),
        analysis: z
          .object({
            min_samples: positiveInt.default(50),
            schedule: z.enum(['daily', 'weekly']).default('weekly'),
            /** Overrides the schedule: hours between analyses (fractions allowed). */
            interval_hours: positiveNumber.optional(),
          })
          .strict()
          .default({}),
        threshold_adjustment: z
          .object({ enabled: bool(false), max_adjustment_percent: num().min(0).max(100).default(10) })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    logging: z
      .object({
        level: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(LOG_LEVELS)).default('INFO'),
        format: z.enum(['json', 'text']).default('json'),
      })
      .strict()
      .default({}),
    metrics: z.object({ enabled: bool(true), port: port.default(9090) }).strict().default({}),
    constraints: z
      .object({
        max_auto_resurrections_per_hour: nonNegativeInt.default(10),
        require_human_review_for_critical: bool(true),
        blacklisted_modules: z.array(moduleName).default([]),
        always_require_approval: z.array(moduleName).default(['auth-service', 'payment-processor', 'data-pipeline']),
        /** Kills Smith reports for these reasons always go to a human (manual_override: someone ordered the kill by hand). */
        require_human_review_for_reasons: z.array(z.enum(KILL_REASONS)).default(['manual_override']),
        /** More kills than max_kills reported within window_seconds: none is auto-approved (0: no limit). */
        kill_burst: z
          .object({ max_kills: nonNegativeInt.default(30), window_seconds: positiveInt.max(86_400).default(60) })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    kafka: z
      .object({
        brokers: brokers.default('127.0.0.1:9092'),
        client_id: nonEmpty.default('medic'),
        partitions: positiveInt.default(3),
        replication_factor: positiveInt.max(32_767).default(1),
        // TLS to the brokers: their CA (default: the system's), and a client certificate where they ask for one.
        tls: z
          .object({ enabled: bool(false), ca_file: nonEmpty.nullable().default(null), cert_file: nonEmpty.nullable().default(null), key_file: nonEmpty.nullable().default(null) })
          .strict()
          .superRefine((t, ctx) => {
            if ((t.cert_file === null) !== (t.key_file === null)) ctx.addIssue({ code: 'custom', path: [t.cert_file === null ? 'cert_file' : 'key_file'], message: 'cert_file and key_file go together' });
            for (const field of ['ca_file', 'cert_file'] as const) {
              if (t[field] !== null && !t.enabled) ctx.addIssue({ code: 'custom', path: [field], message: 'is used over TLS only: set kafka.tls.enabled too' });
            }
          })
          .default({}),
        // SASL authentication to the brokers (over TLS, unless on a network of your own).
        sasl: z
          .object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).nullable().default(null), username: nonEmpty.nullable().default(null), password: z.string().min(1).nullable().default(null) })
          .strict()
          .superRefine((t, ctx) => {
            if (t.mechanism === null) return;
            for (const field of ['username', 'password'] as const) if (t[field] === null) ctx.addIssue({ code: 'custom', path: [field], message: `is required with mechanism ${t.mechanism}` });
          })
          .default({}),
        topics: z
          .object({
            kill_events: topic.default('medic.kill.events'),
            kill_commands: topic.default('medic.kill.commands'),
            control_events: topic.default('medic.control.events'),
            internal_dlq: topic.default('medic.dlq.internal'),
          })
          .strict()
          .default({}),
        consumer: z
          .object({
            max_wait_ms: nonNegativeInt.default(250),
            session_timeout_ms: positiveInt.default(10_000),
            // Consumer groups of Medic's own services are "<prefix>-<service>"; the listener's is smith.event_bus.consumer_group.
            group_prefix: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"').default('medic'),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    database: z
      .object({
        url: postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
        // Parameterized statements prepared once per connection; false behind a pooler that drops them between transactions.
        prepared_statements: z.boolean().default(true),
      })
      .strict()
      .default({}),
    api: z.object({ keys: apiKeys.default([]) }).strict().default({}),
  })
  .strict()
  .superRefine(refineReplyTopics);

export type MedicConfigData = z.output<typeof medicConfigSchema>;
