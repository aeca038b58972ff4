/** One problem found in the configuration. */
export interface ConfigIssue {
  /** Dotted config path (`risk.weights.severity`), the env var name, or `(file)` for unreadable YAML. */
  readonly key: string;
  readonly message: string;
}

/** The configuration is invalid; the process must not start. Never retriable: the input has to change. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly retriable = false;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    super(formatIssues(issues, source));
    this.name = 'ConfigError';
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}

function formatIssues(issues: readonly ConfigIssue[], source: string | undefined): string {
  const where = source === undefined ? '' : ` (${source})`;
  const lines = issues.map((issue) => `  ${issue.key}: ${issue.message}`);
  return [`Invalid Medic configuration${where}:`, ...lines].join('\n');
}
