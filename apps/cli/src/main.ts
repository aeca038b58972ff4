#!/usr/bin/env node
import 'reflect-metadata';
import { ConfigError } from '@medic/config';
import { dropKnownWarnings, TracingConfigError } from '@medic/observability';
import { CliError, logToStderr } from './cli-config';
import { routeOrHelp } from './cli-help';
import { COMMANDS } from './commands';

async function run(): Promise<number> {
  const out = (text: string) => process.stdout.write(text + '\n');
  try {
    const routed = routeOrHelp(COMMANDS, process.argv.slice(2));
    if ('text' in routed) out(routed.text);
    else await routed.command(routed.args, out);
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`medic: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError || error instanceof TracingConfigError) {
      process.stderr.write(`medic: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`medic: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

// A reader that stops early (`medic … | head`) closes the pipe: the output is not wanted any more, which is no error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
dropKnownWarnings();
logToStderr();
void run().then((code) => process.exit(code));
