/*
 * Names that end up in container lookups, Kafka keys and log lines. Module
 * names are checked hardest: the executor turns them into container names,
 * so nothing that could walk a path or break a command line gets through.
 */

const KILL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const MODULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// Kafka's own rule for topic names.
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

const DEFAULT_MAX_KILL_ID_LENGTH = 128;
const DEFAULT_MAX_MODULE_NAME_LENGTH = 253;

/** Why a kill id is unacceptable, or null when it is fine (UUIDs, "demo-1", "test-kill-001"). */
export function killIdProblem(value: string, maxLength = DEFAULT_MAX_KILL_ID_LENGTH): string | null {
  if (value.length === 0) return 'is empty';
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  if (!KILL_ID.test(value)) return 'must start with an ASCII letter or digit and contain only ASCII letters and digits, ".", "_", ":" and "-"';
  return null;
}

/**
 * Why a module, instance or agent name is unacceptable, or null when it is fine.
 * The specific path tricks are named first so the reason says what was wrong.
 */
export function moduleNameProblem(value: string, maxLength = DEFAULT_MAX_MODULE_NAME_LENGTH): string | null {
  if (value.length === 0) return 'is empty';
  if (value.length > maxLength) return `is longer than ${maxLength} characters`;
  if (value.includes('\0')) return 'contains a null byte';
  if (value.includes('/') || value.includes('\\')) return 'contains a path separator';
  if (value.includes('..')) return 'contains ".."';
  if (value.startsWith('.') || value.startsWith('-')) return 'starts with "." or "-"';
  if (!MODULE_NAME.test(value)) return 'must contain only ASCII letters and digits, ".", "_" and "-"';
  return null;
}

export function isValidKillId(value: string, maxLength = DEFAULT_MAX_KILL_ID_LENGTH): boolean {
  return killIdProblem(value, maxLength) === null;
}

export function isValidModuleName(value: string, maxLength = DEFAULT_MAX_MODULE_NAME_LENGTH): boolean {
  return moduleNameProblem(value, maxLength) === null;
}

export function isValidTopicName(value: string): boolean {
  return TOPIC_NAME.test(value) && value !== '.' && value !== '..';
}
