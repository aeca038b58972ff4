export { ConfigError, type ConfigIssue } from './config.error';
export { API_ROLES, AUTO_APPROVE_RISK_LEVELS, LOG_LEVELS } from './config.schema';
export type { ApiKeyEntry, ApiRole, DeepReadonly, LogLevel, MedicConfig } from './config.types';
export { DEFAULT_CONFIG_PATH, loadConfig, type LoadConfigOptions } from './load-config';
export { parseConfig } from './parse-config';
export { ed25519PublicKey } from './signing-keys';
export { REDACTED, redactConfig } from './redact-config';
export { enrichmentWaitMs, kafkaBrokerList, replyTopicsOf, toCascadeSettings, toDecisionThresholds, toMonitorSettings, toPolicySettings, toRiskSettings, toStandingSettings, toVetoSettings } from './settings.mappers';
export type { ProbeConfig } from './config.types';
