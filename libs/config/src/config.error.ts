import { printable, shorten } from '@medic/domain';

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
  // Keys and values come from a file or the environment as anyone wrote them: each issue is one printable line, cut short.
  const lines = issues.map((issue) => `  ${shown(issue.key, 128)}: ${shown(issue.message, 512)}`);
  return [`Invalid Medic configuration${where}:`, ...lines].join('\n');
}

function shown(text: string, max: number): string {
  return printable(shorten(text, max));
}
