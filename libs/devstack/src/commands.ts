import { execFile } from 'node:child_process';
import { DevstackError } from './errors';
import { tailOfText } from './log-file';

export interface CommandFailure {
  /** Set when the program itself is missing (ENOENT). */
  readonly missing: boolean;
  /** Last lines of stdout and stderr together: Maven and Kafka's tools print errors on stdout. */
  readonly output: string;
}

/** Runs a program to completion; `describeFailure` turns a failure into the error to throw. */
export function run(
  program: string,
  args: readonly string[],
  options: { readonly timeoutMs: number; readonly cwd?: string },
  describeFailure: (failure: CommandFailure) => Error,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const execOptions = { cwd: options.cwd, timeout: options.timeoutMs, maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' as const };
    execFile(program, args, execOptions, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const missing = error.code === 'ENOENT';
      const output = tailOfText(`${stdout}\n${stderr}`.trim() || error.message);
      reject(describeFailure({ missing, output }));
    });
  });
}

export function toolMissing(tool: string, hint: string): DevstackError {
  return new DevstackError('TOOL_MISSING', `${tool} was not found: ${hint}`);
}
