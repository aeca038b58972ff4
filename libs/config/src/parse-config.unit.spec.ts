import { issuesOf } from '../test/config-issues';
import { ConfigError } from './config.error';
import { parseConfig } from './parse-config';
import { replyTopicsOf } from './settings.mappers';

const keysOf = (run: () => unknown): string[] => issuesOf(run).map((issue) => issue.key);

// Spec 5.1, verbatim in structure and values.
const SPEC_EXAMPLE = `
version: "1.0"
mode:
  current: "observer"  # observer | manual | semi_auto | full_auto
  fallback: "observer"
smith:
  event_bus:
    type: "redis"  # redis | rabbitmq | kafka
    host: "localhost"
    port: 6379
    topic: "smith.events.kill_notifications"
    response_topic: "medic.responses"
  veto_protocol:
    enabled: false
    timeout_seconds: 30
siem:
  adapter: "rest"  # rest | grpc
  endpoint: "http://localhost:8080/siem"
  auth:
    type: "api_key"
    key_env: "SIEM_API_KEY"
  timeout_seconds: 30
  retry:
    max_attempts: 3
    backoff_seconds: 2
decision:
  default_timeout_minutes: 60
  confidence_threshold: 0.7
  auto_approve:
    enabled: false
    max_risk_level: "low"
    min_confidence: 0.85
risk:
  thresholds:
    minimal: 0.2
    low: 0.4
    medium: 0.6
    high: 0.8
  weights:
    smith_confidence: 0.3
    siem_risk_score: 0.25
    false_positive_history: 0.2
    module_criticality: 0.15
    time_of_day: 0.1
resurrection:
  monitoring_duration_minutes: 30
  health_check_interval_seconds: 30
  max_retry_attempts: 2
  rollback:
    enabled: true
    auto_trigger_on_anomaly: true
    anomaly_threshold: 0.7
interfaces:
  cli:
    enabled: true
  web:
    enabled: false
    port: 8000
    host: "0.0.0.0"
  approval_queue:
    max_pending: 100
    timeout_hours: 24
learning:
  enabled: false
  database:
    type: "sqlite"  # sqlite | postgres
    path: "data/outcomes.db"
  analysis:
    schedule: "weekly"  # daily | weekly
    min_samples: 50
  threshold_adjustment:
    enabled: false
    max_adjustment_percent: 10
logging:
  level: "INFO"
  format: "json"  # json | text
  outputs:
    - type: "console"
    - type: "file"
      path: "logs/medic.log"
      rotation: "daily"
      retention_days: 30
  structured_fields:
    - "kill_id"
    - "decision_id"
    - "request_id"
metrics:
  enabled: true
  exporter: "prometheus"
  port: 9090
  labels:
    environment: "production"
    service: "medic-agent"
`;

describe('parseConfig: defaults', () => {
  it('gives safe defaults for an empty file: observer mode, auto-approval off', () => {
    const config = parseConfig('');
    expect(config.mode).toEqual({ current: 'observer', fallback: 'observer' });
    expect(config.decision.auto_approve).toEqual({ enabled: false, max_risk_level: 'low', min_confidence: 0.85 });
    expect(config.siem.enabled).toBe(false);
    expect(config.siem.api_key).toBeUndefined();
    expect(config.api.keys).toEqual([]);
  });

  it('has the documented defaults for Smith, risk, constraints and infrastructure', () => {
    const config = parseConfig('');
    expect(config.smith.event_bus).toEqual({
      topic: 'smith.events.kill_notifications',
      response_topic: 'medic.responses',
      dlq_topic: 'medic.dlq.kill_notifications',
      consumer_group: 'medic-listener',
      max_message_bytes: 65_536,
    });
    expect(config.smith.veto_protocol).toEqual({
      enabled: false,
      timeout_seconds: 30,
      request_topic: 'smith.veto.requests',
      dlq_topic: 'medic.dlq.veto_responses',
      default_on_timeout: 'proceed',
      defer_delay_seconds: 60,
      max_defers: 3,
      reply_topics: ['medic.responses'],
    });
    expect(config.risk.thresholds).toEqual({ minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 });
    expect(config.risk.weights).toEqual({
      smith_confidence: 0.3,
      siem_risk_score: 0.25,
      false_positive_history: 0.2,
      module_criticality: 0.15,
      severity: 0.1,
    });
    expect(config.risk.module_criticality).toEqual({ default: 0.5, modules: {} });
    expect(config.constraints.always_require_approval).toEqual(['auth-service', 'payment-processor', 'data-pipeline']);
    expect(config.constraints.require_human_review_for_reasons).toEqual(['manual_override']);
    expect(config.kafka).toEqual({
      brokers: '127.0.0.1:9092',
      client_id: 'medic',
      partitions: 3,
      replication_factor: 1,
      tls: { enabled: false, ca_file: null, cert_file: null, key_file: null },
      sasl: { mechanism: null, username: null, password: null },
      topics: { kill_events: 'medic.kill.events', kill_commands: 'medic.kill.commands', control_events: 'medic.control.events', internal_dlq: 'medic.dlq.internal' },
      consumer: { max_wait_ms: 250, session_timeout_ms: 10_000, group_prefix: 'medic' },
    });
    expect(config.database).toEqual({ url: 'postgres://postgres@127.0.0.1:5432/postgres', prepared_statements: true });
    expect(config.interfaces.web).toEqual({ port: 8000, host: '127.0.0.1', request_timeout_seconds: 10, rate_limit: { requests_per_second: 100, burst: 200 }, tls: { cert_file: null, key_file: null, client_ca_file: null } });
    expect(config.logging).toEqual({ level: 'INFO', format: 'json' });
  });

  it('is deeply frozen', () => {
    const config = parseConfig('');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.risk.weights)).toBe(true);
    expect(Object.isFrozen(config.constraints.always_require_approval)).toBe(true);
    expect(() => {
      // @ts-expect-error the type is deeply readonly too
      config.risk.weights.severity = 1;
    }).toThrow(TypeError);
  });
});

describe('parseConfig: partial files', () => {
  it('keeps the defaults of every key the file does not set', () => {
    const config = parseConfig('decision:\n  auto_approve:\n    enabled: true\nrisk:\n  module_criticality:\n    modules:\n      auth-service: 1\n');
    expect(config.decision.auto_approve).toEqual({ enabled: true, max_risk_level: 'low', min_confidence: 0.85 });
    expect(config.decision.default_timeout_minutes).toBe(60);
    expect(config.risk.module_criticality).toEqual({ default: 0.5, modules: { 'auth-service': 1 } });
    expect(config.risk.weights.severity).toBe(0.1);
  });

  it('treats a section left empty (children commented out) as defaults', () => {
    expect(parseConfig('siem:\n  # endpoint: http://x\nkafka:\n').kafka.client_id).toBe('medic');
  });

  it('replaces lists rather than merging them', () => {
    const config = parseConfig('constraints:\n  always_require_approval: ["vault"]\n');
    expect(config.constraints.always_require_approval).toEqual(['vault']);
  });

  it('normalises broker lists and accepts case-insensitive log levels', () => {
    const config = parseConfig('kafka:\n  brokers: "k1:9092, k2:9093"\nlogging:\n  level: debug\n');
    expect(config.kafka.brokers).toBe('k1:9092,k2:9093');
    expect(config.logging.level).toBe('DEBUG');
  });
});

describe('parseConfig: the spec 5.1 example file', () => {
  it('loads, ignoring the keys of the Python prototype', () => {
    const config = parseConfig(SPEC_EXAMPLE);
    expect(config.siem.endpoint).toBe('http://localhost:8080/siem');
    expect(config.interfaces.web.host).toBe('0.0.0.0');
    expect(config.metrics).toEqual({ enabled: true, port: 9090 });
    expect(config.smith.event_bus).not.toHaveProperty('type');
    expect(config.learning).not.toHaveProperty('database');
  });

  it('reads risk.weights.time_of_day as the old name of severity', () => {
    expect(parseConfig(SPEC_EXAMPLE).risk.weights.severity).toBe(0.1);
    const both = 'risk:\n  weights:\n    time_of_day: 0.1\n    severity: 0.1\n';
    expect(keysOf(() => parseConfig(both))).toEqual(['risk.weights.time_of_day']);
  });

  it('gives the backoff and quarantine of re-killed modules Kubernetes-like defaults, fractions allowed', () => {
    expect(parseConfig('').resurrection).toMatchObject({ quarantine_after_rekills: 3, backoff: { initial_seconds: 10, max_seconds: 300, reset_after_stable_seconds: 600 } });
    const fast = parseConfig('resurrection:\n  backoff:\n    initial_seconds: 0.5\n    max_seconds: 2\n    reset_after_stable_seconds: 1.5\n');
    expect(fast.resurrection.backoff).toEqual({ initial_seconds: 0.5, max_seconds: 2, reset_after_stable_seconds: 1.5 });
  });

  it('ignores executor extras under resurrection (reboot plan)', () => {
    const config = parseConfig('resurrection:\n  executor: docker\n  health_check_timeout_seconds: 60\n');
    expect(config.resurrection).not.toHaveProperty('executor');
  });
});

describe('parseConfig: probes of resurrected modules', () => {
  it('reads http, tcp and exec probes per module, with their defaults', () => {
    const config = parseConfig(
      [
        'resurrection:',
        '  probes:',
        '    nginx-test:',
        '      - { type: http, url: "http://127.0.0.1:8080/health" }',
        '      - { type: tcp, host: 127.0.0.1, port: 8080, timeout_seconds: 0.5 }',
        '      - { type: exec, command: [wget, -q, -O-, "http://127.0.0.1:8080/health"], failure_threshold: 1 }',
        '',
      ].join('\n'),
    );
    expect(config.resurrection.probes['nginx-test']).toEqual([
      { type: 'http', url: 'http://127.0.0.1:8080/health', expected_status: 200, timeout_seconds: 5, failure_threshold: 3 },
      { type: 'tcp', host: '127.0.0.1', port: 8080, timeout_seconds: 0.5, failure_threshold: 3 },
      { type: 'exec', command: ['wget', '-q', '-O-', 'http://127.0.0.1:8080/health'], expected_exit_code: 0, timeout_seconds: 5, failure_threshold: 1 },
    ]);
    expect(parseConfig('').resurrection.probes).toEqual({});
  });

  it.each([
    ['resurrection:\n  probes:\n    web:\n      - { type: ping }\n', 'resurrection.probes.web.0.type'],
    ['resurrection:\n  probes:\n    web:\n      - { type: http, url: "ftp://x" }\n', 'resurrection.probes.web.0.url'],
    ['resurrection:\n  probes:\n    web:\n      - { type: http, url: "http://x", expected_status: 700 }\n', 'resurrection.probes.web.0.expected_status'],
    ['resurrection:\n  probes:\n    web:\n      - { type: tcp, host: x, port: 0 }\n', 'resurrection.probes.web.0.port'],
    ['resurrection:\n  probes:\n    web:\n      - { type: exec, command: [] }\n', 'resurrection.probes.web.0.command'],
    ['resurrection:\n  probes:\n    web:\n      - { type: tcp, host: x, port: 1, timeout_seconds: 0 }\n', 'resurrection.probes.web.0.timeout_seconds'],
    ['resurrection:\n  probes:\n    web:\n      - { type: tcp, host: x, port: 1, retries: 2 }\n', 'resurrection.probes.web.0.retries'],
    ['resurrection:\n  monitoring_duration_minutes: 0.01\n  health_check_interval_seconds: 1\n', 'resurrection.health_check_interval_seconds'],
    ['resurrection:\n  rekill_window_minutes: -1\n', 'resurrection.rekill_window_minutes'],
  ])('%j → %s', (yaml, key) => {
    expect(keysOf(() => parseConfig(yaml))).toEqual([key]);
  });

  it('takes fractions of minutes and seconds for the monitoring window and interval', () => {
    const config = parseConfig('resurrection:\n  monitoring_duration_minutes: 0.1\n  health_check_interval_seconds: 0.5\n');
    expect(config.resurrection).toMatchObject({ monitoring_duration_minutes: 0.1, health_check_interval_seconds: 0.5, rekill_window_minutes: 10 });
  });
});

describe('parseConfig: invalid values stop with the key named', () => {
  it.each([
    ['mode:\n  current: auto\n', 'mode.current'],
    ['logging:\n  level: LOUD\n', 'logging.level'],
    ['decision:\n  auto_approve:\n    max_risk_level: critical\n', 'decision.auto_approve.max_risk_level'],
    ['decision:\n  confidence_threshold: 1.5\n', 'decision.confidence_threshold'],
    ['risk:\n  module_criticality:\n    modules:\n      db: -0.1\n', 'risk.module_criticality.modules.db'],
    ['risk:\n  thresholds:\n    high: 1\n', 'risk.thresholds.high'],
    ['risk:\n  weights:\n    severity: -0.1\n    smith_confidence: 0.5\n', 'risk.weights.severity'],
    ['interfaces:\n  web:\n    port: 70000\n', 'interfaces.web.port'],
    ['kafka:\n  brokers: "localhost"\n', 'kafka.brokers'],
    ['kafka:\n  topics:\n    kill_events: "bad topic"\n', 'kafka.topics.kill_events'],
    ['database:\n  url: mysql://x/y\n', 'database.url'],
    ['database:\n  prepared_statements: "no"\n', 'database.prepared_statements'],
    ['version: 1.0\n', 'version'],
    ['api:\n  keys:\n    - { name: ops, role: root, key_sha256: "' + 'a'.repeat(64) + '" }\n', 'api.keys.0.role'],
    ['api:\n  keys:\n    - { name: ops, role: admin, key_sha256: abc }\n', 'api.keys.0.key_sha256'],
    ['resurrection:\n  quarantine_after_rekills: 0\n', 'resurrection.quarantine_after_rekills'],
    ['resurrection:\n  quarantine_after_rekills: 2.5\n', 'resurrection.quarantine_after_rekills'],
    ['resurrection:\n  backoff:\n    initial_seconds: 0\n', 'resurrection.backoff.initial_seconds'],
    ['resurrection:\n  backoff:\n    initial_seconds: 20\n    max_seconds: 10\n', 'resurrection.backoff.max_seconds'],
    ['resurrection:\n  backoff:\n    resett_after: 1\n', 'resurrection.backoff.resett_after'],
    ['siem:\n  elasticsearch:\n    kill_actions: []\n', 'siem.elasticsearch.kill_actions'],
    ['siem:\n  elasticsearch:\n    kill_actions: [""]\n', 'siem.elasticsearch.kill_actions.0'],
    ['constraints:\n  require_human_review_for_reasons: [malware]\n', 'constraints.require_human_review_for_reasons.0'],
  ])('%j → %s', (yaml, key) => {
    expect(keysOf(() => parseConfig(yaml))).toEqual([key]);
  });

  it('takes the API\'s certificate and key together, and client certificates only over HTTPS', () => {
    const tls = (lines: string) => `interfaces:\n  web:\n    tls:\n${lines}`;
    expect(parseConfig(tls('      cert_file: a.crt\n      key_file: a.key\n')).interfaces.web.tls).toEqual({ cert_file: 'a.crt', key_file: 'a.key', client_ca_file: null });
    expect(issuesOf(() => parseConfig(tls('      cert_file: a.crt\n')))).toEqual([{ key: 'interfaces.web.tls.key_file', message: 'cert_file and key_file go together: set both for HTTPS, or neither' }]);
    expect(issuesOf(() => parseConfig(tls('      key_file: a.key\n')))).toEqual([{ key: 'interfaces.web.tls.cert_file', message: 'cert_file and key_file go together: set both for HTTPS, or neither' }]);
    expect(issuesOf(() => parseConfig(tls('      client_ca_file: ca.crt\n')))).toEqual([{ key: 'interfaces.web.tls.client_ca_file', message: 'client certificates need HTTPS: set cert_file and key_file too' }]);
  });

  it('takes Kafka TLS files only with TLS on, and SASL with its credentials', () => {
    expect(parseConfig('', { KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).kafka).toMatchObject({
      tls: { enabled: true, ca_file: null, cert_file: null, key_file: null },
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
    expect(issuesOf(() => parseConfig('kafka:\n  tls:\n    ca_file: ca.pem\n'))).toEqual([{ key: 'kafka.tls.ca_file', message: 'is used over TLS only: set kafka.tls.enabled too' }]);
    expect(keysOf(() => parseConfig('kafka:\n  tls:\n    enabled: true\n    cert_file: c.pem\n'))).toEqual(['kafka.tls.key_file']);
    expect(issuesOf(() => parseConfig('', { KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'u' }))).toEqual([{ key: 'kafka.sasl.password', message: 'is required with mechanism scram-sha-256' }]);
    expect(keysOf(() => parseConfig('', { KAFKA_SASL_MECHANISM: 'gssapi' }))).toEqual(['KAFKA_SASL_MECHANISM']);
  });

  it('rejects weights that do not sum to 1', () => {
    const issues = issuesOf(() => parseConfig('risk:\n  weights:\n    severity: 0.2\n'));
    expect(issues).toEqual([{ key: 'risk.weights', message: 'must sum to 1 (they sum to 1.1)' }]);
  });

  it('rejects thresholds out of order, naming the first key out of place', () => {
    const issues = issuesOf(() => parseConfig('risk:\n  thresholds:\n    low: 0.1\n'));
    expect(issues).toEqual([{ key: 'risk.thresholds.low', message: 'must be greater than risk.thresholds.minimal (0.2)' }]);
  });

  it('rejects unknown keys at any depth, by their full path', () => {
    const keys = keysOf(() => parseConfig('risk:\n  weights:\n    sevrity: 0.1\nmetrics:\n  prot: 1\nsurprise: true\n'));
    expect(keys).toEqual(expect.arrayContaining(['risk.weights.sevrity', 'metrics.prot', 'surprise']));
  });

  it('rejects the phase toggles of the old constitution file', () => {
    const issues = issuesOf(() => parseConfig('phases:\n  phase_1_observer:\n    enabled: true\n'));
    expect(issues).toEqual([{ key: 'phases', message: expect.stringContaining('phase toggles are gone') }]);
  });

  it('rejects duplicate API key names', () => {
    const entry = (name: string) => `    - { name: ${name}, role: viewer, key_sha256: "${'b'.repeat(64)}" }\n`;
    expect(keysOf(() => parseConfig(`api:\n  keys:\n${entry('a')}${entry('a')}`))).toEqual(['api.keys.1.name']);
  });

  it('lists every issue, one "<key>: <message>" line each, in a non-retriable error', () => {
    let thrown: unknown;
    try {
      parseConfig('mode:\n  current: auto\nmetrics:\n  port: 0\n');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error).toMatchObject({ code: 'config_invalid', retriable: false, name: 'ConfigError' });
    expect(error.message).toMatch(/^ {2}mode\.current: Invalid enum value/m);
    expect(error.message).toMatch(/^ {2}metrics\.port: must be a port in 1\.\.65535$/m);
  });

  it('repeats what was written on one printable line each, cut short: no escape sequence reaches the terminal', () => {
    let thrown: unknown;
    try {
      parseConfig(`"k\\e]0;pwn\\a": 1\nmode:\n  current: "\\e[2J${'x'.repeat(2_000)}\\ny"\n`);
    } catch (error) {
      thrown = error;
    }
    const message = (thrown as ConfigError).message;
    expect([...message].filter((c) => c !== '\n' && (c < ' ' || c === '\u007f'))).toEqual([]);
    expect(message.split('\n')).toHaveLength(3);
    expect(message).toContain('k\\u001b]0;pwn\\u0007: unknown key');
    expect(message.split('\n').every((line) => line.length < 700)).toBe(true);
  });
});

describe("parseConfig: the topics Smith's answers come on", () => {
  it('defaults smith.veto_protocol.reply_topics to the response topic, whatever it is set to', () => {
    expect(parseConfig('').smith.veto_protocol.reply_topics).toEqual(['medic.responses']);
    expect(parseConfig('smith:\n  event_bus:\n    response_topic: smith.answers\n').smith.veto_protocol.reply_topics).toEqual(['smith.answers']);
  });

  it('takes a list of reply topics; the response topic is always one of them (replyTopicsOf)', () => {
    const config = parseConfig('smith:\n  veto_protocol:\n    reply_topics: [smith.answers.eu, smith.answers.us, smith.answers.eu]\n');
    expect(config.smith.veto_protocol.reply_topics).toEqual(['smith.answers.eu', 'smith.answers.us', 'smith.answers.eu']);
    expect(replyTopicsOf(config)).toEqual(['medic.responses', 'smith.answers.eu', 'smith.answers.us']);
    expect(replyTopicsOf(parseConfig(''))).toEqual(['medic.responses']);
  });

  it.each([
    ['medic.kill.events', 'kafka.topics.kill_events'],
    ['medic.kill.commands', 'kafka.topics.kill_commands'],
    ['medic.control.events', 'kafka.topics.control_events'],
    ['medic.dlq.internal', 'kafka.topics.internal_dlq'],
    ['smith.events.kill_notifications', 'smith.event_bus.topic'],
    ['medic.dlq.kill_notifications', 'smith.event_bus.dlq_topic'],
    ['smith.veto.requests', 'smith.veto_protocol.request_topic'],
    ['medic.dlq.veto_responses', 'smith.veto_protocol.dlq_topic'],
  ])('refuses %s, a topic of Medic\'s own (%s), as a reply topic', (topic, key) => {
    const issues = issuesOf(() => parseConfig(`smith:\n  veto_protocol:\n    reply_topics: [smith.answers, ${topic}]\n`));
    expect(issues).toEqual([{ key: 'smith.veto_protocol.reply_topics.1', message: `"${topic}" is ${key}, a topic of Medic's own; Smith's answers need a topic of their own` }]);
  });

  it.each(['__consumer_offsets', '__transaction_state', '__anything'])('refuses %s, a Kafka internal topic, as a reply topic', (topic) => {
    const issues = issuesOf(() => parseConfig(`smith:\n  veto_protocol:\n    reply_topics: ["${topic}"]\n`));
    expect(issues).toEqual([{ key: 'smith.veto_protocol.reply_topics.0', message: `"${topic}" is a Kafka internal topic (its name starts with "__"); Smith's answers need a topic of their own` }]);
  });

  it("refuses a response topic that is one of Medic's own topics or an internal one, named once", () => {
    expect(issuesOf(() => parseConfig('smith:\n  event_bus:\n    response_topic: medic.kill.events\n'))).toEqual([
      { key: 'smith.event_bus.response_topic', message: `"medic.kill.events" is kafka.topics.kill_events, a topic of Medic's own; Smith's answers need a topic of their own` },
    ]);
    expect(keysOf(() => parseConfig('smith:\n  event_bus:\n    response_topic: __consumer_offsets\n'))).toEqual(['smith.event_bus.response_topic']);
    // Medic's topic renamed onto the default response topic is refused too.
    expect(keysOf(() => parseConfig('kafka:\n  topics:\n    kill_events: medic.responses\n'))).toEqual(['smith.event_bus.response_topic']);
  });

  it('refuses a reply topic that is no topic name', () => {
    expect(keysOf(() => parseConfig('smith:\n  veto_protocol:\n    reply_topics: ["bad topic"]\n'))).toEqual(['smith.veto_protocol.reply_topics.0']);
  });
});

describe('parseConfig: unreadable YAML', () => {
  it('reports a syntax error under (file) with its line and column', () => {
    const issues = issuesOf(() => parseConfig('mode:\n  current: observer\nrisk: [1, 2\nmetrics: {}\n'));
    expect(issues[0]).toEqual({ key: '(file)', message: expect.stringMatching(/^line 4, column 1: YAML syntax error: /) });
  });

  it('reports duplicate keys', () => {
    const issues = issuesOf(() => parseConfig('mode:\n  current: manual\nmode:\n  current: observer\n'));
    expect(issues).toEqual([{ key: '(file)', message: expect.stringContaining('line 3') }]);
  });

  it.each([['- observer\n'], ['just text\n'], ['a: &x [*x]\n']])('rejects a document that is not a plain mapping of keys: %j', (yaml) => {
    expect(keysOf(() => parseConfig(yaml))).toEqual(['(file)']);
  });

  it("reports a file whose aliases expand past all bounds as the file's issue, not a crash", () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');
    expect(issuesOf(() => parseConfig(`${bomb}\n`))).toEqual([{ key: '(file)', message: expect.stringMatching(/^cannot be read: .*alias/i) }]);
  });

  it.each(['.inf', '-.inf', '1e400'])('rejects %s where a number belongs: no duration or score is infinite', (value) => {
    expect(issuesOf(() => parseConfig(`siem:\n  timeout_seconds: ${value}\n`))).toContainEqual({ key: 'siem.timeout_seconds', message: 'must be a finite number' });
  });

  it('rejects a __proto__ key as unknown instead of following it', () => {
    expect(keysOf(() => parseConfig('__proto__:\n  mode: manual\n'))).toEqual(['__proto__']);
  });
});
