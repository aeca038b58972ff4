import { parseDocument } from 'yaml';
import { ZodError } from 'zod';
import { ConfigError, type ConfigIssue } from './config.error';
import { medicConfigSchema } from './config.schema';
import { type MedicConfig } from './config.types';
import { readEnvOverrides } from './env-overrides';
import { dropLegacyKeys } from './legacy-keys';
import { deepFreeze, deepMerge, hasCycle, isPlainObject, pruneNulls } from './plain-data';

const FILE_KEY = '(file)';

/**
 * Validates `medic.yaml` text with env vars applied over it. Pure: `env` defaults to none
 * (loadConfig passes process.env). Throws ConfigError listing every problem at once.
 */
export function parseConfig(yamlText: string, env: NodeJS.ProcessEnv = {}): MedicConfig {
  return buildConfig(yamlText, env);
}

export function buildConfig(yamlText: string, env: NodeJS.ProcessEnv, source?: string): MedicConfig {
  const file = readYaml(yamlText);
  const legacy = dropLegacyKeys(file.value);
  const overrides = readEnvOverrides(env);
  const parsed = medicConfigSchema.safeParse(deepMerge(legacy.value, overrides.value));
  const schemaIssues = parsed.success ? [] : fromZod(parsed.error, overrides.sources);
  const issues = unique([...file.issues, ...legacy.issues, ...overrides.issues, ...schemaIssues, ...fileValueIssues(legacy.value)]);
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues, source);
  return deepFreeze(parsed.data);
}

/**
 * What is wrong with the values the file itself gives, whatever the
 * environment overrides: a section an env var replaces (`kafka: 5` beside
 * KAFKA_BROKERS) is still a mistake in the file. Keys the file leaves out are
 * not its mistakes.
 */
function fileValueIssues(file: unknown): ConfigIssue[] {
  const parsed = medicConfigSchema.safeParse(file);
  if (parsed.success) return [];
  return parsed.error.issues
    .filter((issue) => issue.code === 'unrecognized_keys' || valueAt(file, issue.path) !== undefined)
    .flatMap((issue) => fromZod(new ZodError([issue]), new Map()));
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function unique(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.key}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function readYaml(text: string): { value: unknown; issues: ConfigIssue[] } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { value: {}, issues: doc.errors.map((e) => yamlIssue(e.message, e.linePos?.[0])) };
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // The YAML library refuses to expand aliases past a bound (a "billion laughs" file).
    return { value: {}, issues: [{ key: FILE_KEY, message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  if (value === null || value === undefined) return { value: {}, issues: [] };
  if (hasCycle(value)) return { value: {}, issues: [{ key: FILE_KEY, message: 'a YAML alias refers to itself' }] };
  if (!isPlainObject(value)) return { value: {}, issues: [{ key: FILE_KEY, message: 'must be a YAML mapping of keys' }] };
  return { value: pruneNulls(value), issues: [] };
}

function yamlIssue(message: string, at: { line: number; col: number } | undefined): ConfigIssue {
  // The library appends "at line L, column C:" and a code frame; keep one line of our own.
  const reason = message.split(' at line ')[0] ?? message;
  const where = at === undefined ? '' : `line ${at.line}, column ${at.col}: `;
  return { key: FILE_KEY, message: `${where}YAML syntax error: ${reason}` };
}

function fromZod(error: ZodError, sources: ReadonlyMap<string, string>): ConfigIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ key: dotted([...issue.path, key]), message: 'unknown key' }))
      : [attributeToEnv({ key: dotted(issue.path), message: issue.message }, sources)],
  );
}

/** An invalid value that came from an env var is reported under the variable's name. */
function attributeToEnv(issue: ConfigIssue, sources: ReadonlyMap<string, string>): ConfigIssue {
  for (const [key, variable] of sources) {
    if (issue.key === key || issue.key.startsWith(`${key}.`)) return { key: variable, message: `${issue.message} (${issue.key})` };
  }
  return issue;
}

function dotted(path: readonly (string | number)[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}
