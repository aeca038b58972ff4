#!/usr/bin/env node
import 'reflect-metadata';
import { ConfigError } from '@medic/config';
import { dropKnownWarnings, TracingConfigError } from '@medic/observability';
import { routeCommand, type CommandTable } from './cli-args';
import { CliError, logToStderr } from './cli-config';
import { replayAudit, replayRebuild, replayRecalibrate } from './commands/replay.command';
import { siemSeed } from './commands/siem.command';
import { smithAnswer } from './commands/smith-answer.command';
import { smithKill, smithReplay } from './commands/smith.command';
import { up } from './commands/up.command';

const USAGE = `usage: medic <command>

  up [--no-siem] [--demo-target M]  start Kafka, Postgres, Elasticsearch, the container engine and every Medic
                                     service, restart any that dies; Ctrl-C stops them. --demo-target runs a
                                     container of the demo image named and labelled M (repeatable)
  replay audit <kill_id> [--json]    print the whole timeline of one kill, read from the event log
  replay rebuild [--projection NAME] drop projections and rebuild them from offset 0
  replay recalibrate [--minimal N] [--low N] [--medium N] [--high N] [--max-risk-level L]
                     [--min-confidence N] [--changes N] [--json]
                                     decide the log's kills again under other thresholds and compare
                                     with what was decided and how the resurrections turned out
  siem seed                          load sample threat indicators and module events into the SIEM
  smith kill <module> [--severity S] [--confidence C] [--reason R] [--kill-id ID] [--instance ID] [--evidence a,b] [--dependencies a,b] [--stop] [--sign-key FILE --key-id ID]
                                     send a kill report to Smith's topic, as Smith would
                                     (--stop: stop the module's container first; --sign-key: sign it
                                     with that Ed25519 private key, named --key-id)
  smith replay <file.jsonl>          send a file of kill reports, one per line
  smith answer --policy approve|veto|defer|silent [--reason R] [--evidence a,b] [--count N | --once]
                                     answer Medic's pre-resurrection notices, as Smith would

Configuration: MEDIC_CONFIG_PATH, MEDIC_MODE, KAFKA_BROKERS, DATABASE_URL, … (see README).
The replay commands use the stack of a running \`medic up\` when no broker or database is set.`;

type Command = (args: readonly string[], out: (text: string) => void) => Promise<void>;

const COMMANDS: CommandTable<Command> = {
  up,
  replay: { audit: replayAudit, rebuild: replayRebuild, recalibrate: replayRecalibrate },
  siem: { seed: siemSeed },
  smith: { kill: smithKill, replay: smithReplay, answer: smithAnswer },
};

function route(argv: readonly string[]): [Command, readonly string[]] {
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    return [(_a, out) => Promise.resolve(out(USAGE)), []];
  }
  return routeCommand(COMMANDS, argv, USAGE);
}

async function run(): Promise<number> {
  const out = (text: string) => process.stdout.write(text + '\n');
  try {
    const [command, args] = route(process.argv.slice(2));
    await command(args, out);
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

dropKnownWarnings();
logToStderr();
void run().then((code) => process.exit(code));
