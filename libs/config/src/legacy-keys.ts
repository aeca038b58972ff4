import { type ConfigIssue } from './config.error';
import { getPath, omitPath, deepMerge, treeAt } from './plain-data';

/**
 * Keys of the spec's example files (spec 5.1, reboot plan) that describe the Python prototype's
 * infrastructure. They are accepted so those files load, and ignored: Medic's own keys replace them.
 */
const IGNORED_KEYS: readonly string[] = [
  'smith.event_bus.type',
  'smith.event_bus.host',
  'smith.event_bus.port',
  'siem.adapter',
  'siem.auth',
  'learning.database',
  'learning.analysis.schedule',
  'logging.outputs',
  'logging.structured_fields',
  'metrics.exporter',
  'metrics.labels',
  'interfaces.cli',
  'interfaces.web.enabled',
];

/** Keys that used to mean something and must not be silently ignored. */
const REMOVED_KEYS: Readonly<Record<string, string>> = {
  phases: 'phase toggles are gone; set mode.current and decision.auto_approve.enabled instead',
};

const TIME_OF_DAY = ['risk', 'weights', 'time_of_day'];
const SEVERITY = ['risk', 'weights', 'severity'];

export interface LegacyResult {
  readonly value: unknown;
  readonly issues: readonly ConfigIssue[];
}

export function dropLegacyKeys(raw: unknown): LegacyResult {
  const removed = Object.keys(REMOVED_KEYS).filter((key) => getPath(raw, key.split('.')) !== undefined);
  const issues = removed.map((key) => ({ key, message: REMOVED_KEYS[key] ?? 'removed' }));
  const stripped = [...IGNORED_KEYS, ...removed].reduce((tree, key) => omitPath(tree, key.split('.')), raw);
  const renamed = renameTimeOfDay(stripped);
  return { value: renamed.value, issues: [...issues, ...renamed.issues] };
}

/** Spec 5.1 weighs `time_of_day`; the reboot plan put `severity` in its place with the same weight. */
function renameTimeOfDay(raw: unknown): LegacyResult {
  const weight = getPath(raw, TIME_OF_DAY);
  if (weight === undefined) return { value: raw, issues: [] };
  if (getPath(raw, SEVERITY) !== undefined) {
    const message = 'is the old name of risk.weights.severity; set only severity';
    return { value: omitPath(raw, TIME_OF_DAY), issues: [{ key: TIME_OF_DAY.join('.'), message }] };
  }
  return { value: deepMerge(omitPath(raw, TIME_OF_DAY), treeAt(SEVERITY, weight)), issues: [] };
}
