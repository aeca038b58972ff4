import { parseConfig } from './parse-config';
import { REDACTED, redactConfig } from './redact-config';
import { enrichmentWaitMs, kafkaBrokerList, toMonitorSettings, toPolicySettings, toRiskSettings } from './settings.mappers';

const HASH = 'c'.repeat(64);

describe('toPolicySettings', () => {
  it('maps the decision policy keys into the domain settings', () => {
    const config = parseConfig(
      'mode:\n  current: semi_auto\ndecision:\n  default_timeout_minutes: 15\n  confidence_threshold: 0.8\n  auto_approve:\n    enabled: true\n    max_risk_level: medium\n    min_confidence: 0.9\nconstraints:\n  max_auto_resurrections_per_hour: 3\n  blacklisted_modules: [kernel]\n  kill_burst:\n    max_kills: 5\n    window_seconds: 10\ninterfaces:\n  approval_queue:\n    timeout_hours: 4\n    max_pending: 7\n',
    );
    expect(toPolicySettings(config)).toEqual({
      mode: 'semi_auto',
      autoApprove: { enabled: true, maxRiskLevel: 'medium', minConfidence: 0.9 },
      constraints: {
        maxAutoResurrectionsPerHour: 3,
        requireHumanReviewForCritical: true,
        blacklistedModules: ['kernel'],
        alwaysRequireApproval: ['auth-service', 'payment-processor', 'data-pipeline'],
        requireHumanReviewForReasons: ['manual_override'],
        killBurst: { maxKills: 5, windowSeconds: 10 },
      },
      defaultTimeoutMinutes: 15,
      smithConfidenceThreshold: 0.8,
      approvalTimeoutHours: 4,
      maxPendingApprovals: 7,
    });
  });
});

describe('toRiskSettings', () => {
  it('maps weights, thresholds and module criticality', () => {
    const config = parseConfig('risk:\n  module_criticality:\n    default: 0.4\n    modules:\n      auth-service: 0.9\n');
    const settings = toRiskSettings(config);
    expect(settings.weights).toEqual(config.risk.weights);
    expect(settings.thresholds).toEqual({ minimal: 0.2, low: 0.4, medium: 0.6, high: 0.8 });
    expect(settings.moduleCriticality).toEqual({ default: 0.4, modules: { 'auth-service': 0.9 } });
    expect(Object.isFrozen(settings)).toBe(true);
  });
});

describe('kafkaBrokerList', () => {
  it('splits kafka.brokers for Kafka clients', () => {
    expect(kafkaBrokerList(parseConfig('', { KAFKA_BROKERS: 'a:1,b:2' }))).toEqual(['a:1', 'b:2']);
  });
});

describe('redactConfig', () => {
  const config = parseConfig('siem:\n  endpoint: "https://elastic:espass@siem:9200"\n', {
    SIEM_API_KEY: 'siem-secret',
    MEDIC_API_KEYS: `ops:admin:${HASH}`,
    DATABASE_URL: 'postgres://medic:dbpass@db:5432/medic',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'medic',
    KAFKA_SASL_PASSWORD: 'kafkapass',
  });

  it('replaces secrets, key hashes and URL passwords', () => {
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['siem-secret', HASH, 'espass', 'dbpass', 'kafkapass']) expect(printed).not.toContain(secret);
    expect(redactConfig(config).kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'medic', password: REDACTED });
    expect(redactConfig(config).siem.api_key).toBe(REDACTED);
    expect(redactConfig(config).api.keys[0]).toEqual({ name: 'ops', role: 'admin', key_sha256: REDACTED });
    expect(redactConfig(config).database.url).toBe('postgres://medic:***@db:5432/medic');
  });

  it('keeps everything else and leaves the original untouched', () => {
    expect({ ...redactConfig(config).kafka, sasl: null }).toEqual({ ...config.kafka, sasl: null });
    expect(redactConfig(parseConfig('')).kafka).toEqual(parseConfig('').kafka);
    expect(config.siem.api_key).toBe('siem-secret');
    expect(redactConfig(parseConfig('')).siem).not.toHaveProperty('api_key');
  });
});

describe('toMonitorSettings', () => {
  it('maps the resurrection keys, fractions included, into milliseconds', () => {
    const config = parseConfig('resurrection:\n  monitoring_duration_minutes: 0.25\n  health_check_interval_seconds: 0.5\n  rekill_window_minutes: 0.05\n  rollback:\n    anomaly_threshold: 0.6\n');
    expect(toMonitorSettings(config)).toEqual({ monitoringMs: 15_000, checkIntervalMs: 500, rekillWindowMs: 3_000, anomalyThreshold: 0.6, autoRollback: true, killReportGraceMs: 5_000 });
  });

  it('rolls back on its own only when rollback is enabled and triggered by anomalies', () => {
    expect(toMonitorSettings(parseConfig('resurrection:\n  rollback:\n    auto_trigger_on_anomaly: false\n')).autoRollback).toBe(false);
    expect(toMonitorSettings(parseConfig('resurrection:\n  rollback:\n    enabled: false\n')).autoRollback).toBe(false);
    expect(toMonitorSettings(parseConfig('')).rekillWindowMs).toBe(600_000);
  });
});

describe('enrichmentWaitMs', () => {
  it('gives a kill the SIEM timeout and a margin of 10 %, at least 2 s, and no wait without a SIEM', () => {
    expect(enrichmentWaitMs(parseConfig('siem:\n  enabled: true\n  timeout_seconds: 1\n'))).toBe(3_000);
    expect(enrichmentWaitMs(parseConfig('siem:\n  enabled: true\n  timeout_seconds: 30\n'))).toBe(33_000);
    expect(enrichmentWaitMs(parseConfig('siem:\n  enabled: true\n  timeout_seconds: 0.5\n'))).toBe(2_500);
    expect(enrichmentWaitMs(parseConfig('siem:\n  enabled: false\n  timeout_seconds: 30\n'))).toBeNull();
  });
});
