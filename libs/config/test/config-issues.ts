import { ConfigError, type ConfigIssue } from '../src/config.error';

/** The issues of the ConfigError `run` throws; fails when it throws nothing or something else. */
export function issuesOf(run: () => unknown): readonly ConfigIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
