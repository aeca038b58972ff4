import { KILL_REASONS, SEVERITIES } from '@medic/domain';
import { MEDIC_VERSION } from '@medic/observability';
import { routeCommand, type CommandTable } from './cli-args';

/** One command's entry in the help: what it takes, and what it does. */
interface CommandHelp {
  /** The command's words (`replay audit`). */
  readonly path: string;
  /** Its arguments and options after those words. */
  readonly args: string;
  /** What it does, a line each. */
  readonly about: readonly string[];
  /** Each argument and option, what it means and its default (in the command's own help only). */
  readonly options?: readonly (readonly [string, string])[];
}

const COMMANDS: readonly CommandHelp[] = [
  {
    path: 'up',
    args: '[--no-siem] [--demo-target M]',
    about: [
      'start Kafka, Postgres, Elasticsearch, the container engine and every Medic',
      'service, restart any that dies; Ctrl-C stops them. Later runs on the same',
      '.medic keep its data, its ports where free and its admin key',
    ],
    options: [
      ['--no-siem', 'start no Elasticsearch: kills are decided without SIEM context (unless the config names a SIEM)'],
      ['--demo-target M', 'run a container of the demo image named M and labelled medic.module=M, for Smith to kill (repeatable)'],
    ],
  },
  {
    path: 'replay audit',
    args: '<kill_id> [--json]',
    about: ['print the whole timeline of one kill, read from the event log'],
    options: [
      ['<kill_id>', 'the kill id of Smith\'s report'],
      ['--json', 'print the timeline as one JSON document'],
    ],
  },
  {
    path: 'replay rebuild',
    args: '[--projection NAME]',
    about: ['drop projections and rebuild them from offset 0'],
    options: [['--projection NAME', 'rebuild only this one (repeatable; an unknown name is refused with the known ones); all of them by default']],
  },
  {
    path: 'replay recalibrate',
    args: '[--minimal N] [--low N] [--medium N] [--high N] [--max-risk-level L]\n                     [--min-confidence N] [--changes N] [--json]',
    about: ['decide the log\'s kills again under other thresholds and compare', 'with what was decided and how the resurrections turned out'],
    options: [
      ['--minimal N, --low N, --medium N, --high N', 'the risk score each level ends at, between 0 and 1; the thresholds in force for those not given'],
      ['--max-risk-level L', 'the highest risk level approved without a human: minimal, low, medium or high'],
      ['--min-confidence N', 'the lowest confidence approved without a human, from 0 to 1'],
      ['--changes N', 'how many of the kills decided differently to list (default 20)'],
      ['--json', 'print the comparison as one JSON document'],
    ],
  },
  { path: 'siem seed', args: '', about: ['load sample threat indicators and module events into the SIEM'] },
  {
    path: 'smith kill',
    args: '<module> [--severity S] [--confidence C] [--reason R] [--kill-id ID] [--instance ID] [--evidence a,b] [--dependencies a,b] [--stop] [--sign-key FILE --key-id ID]',
    about: ['send a kill report to Smith\'s topic, as Smith would'],
    options: [
      ['<module>', 'the module killed'],
      ['--severity S', `one of ${SEVERITIES.join(', ')} (default low)`],
      ['--confidence C', 'Smith\'s confidence, from 0 to 1 (default 0.4)'],
      ['--reason R', `one of ${KILL_REASONS.join(', ')} (default anomaly_behavior)`],
      ['--kill-id ID', 'the kill\'s id (default smith-<uuid>); sending one twice is a repeated report'],
      ['--instance ID', 'the instance killed (default the container stopped by --stop, else <module>-1)'],
      ['--evidence a,b', 'the evidence listed (default smith-simulator)'],
      ['--dependencies a,b', 'the modules that depend on the one killed'],
      ['--stop', 'stop the module\'s container on the container engine first'],
      ['--sign-key FILE --key-id ID', 'sign the report with that Ed25519 private key (PEM), under that key id'],
    ],
  },
  {
    path: 'smith replay',
    args: '<file.jsonl>',
    about: ['send a file of kill reports, one per line'],
    options: [['<file.jsonl>', 'one kill report per line, each sent as it is (a line holding only a payload goes in an envelope)']],
  },
  {
    path: 'smith answer',
    args: '--policy approve|veto|defer|silent [--reason R] [--evidence a,b] [--count N | --once]',
    about: ['answer Medic\'s pre-resurrection notices, as Smith would'],
    options: [
      ['--policy P', 'approve, veto or defer each notice, or read them and stay silent (required)'],
      ['--reason R', 'the reason given (default "smith-simulator: <policy>")'],
      ['--evidence a,b', 'the evidence given'],
      ['--count N', 'stop after N notices (default: until Ctrl-C)'],
      ['--once', 'stop after one notice'],
    ],
  },
];

const ABOUT_COLUMN = 37;

const FOOTER = `Configuration: MEDIC_CONFIG_PATH, MEDIC_MODE, KAFKA_BROKERS, DATABASE_URL, … (see README).
The replay commands use the stack of a running \`medic up\` when no broker or database is set.
\`medic <command> --help\` says more of one command; \`medic --version\` prints Medic's release.`;

/** The entries as a table: the synopsis, and what it does beside it (under it when the synopsis is long). */
function table(entries: readonly CommandHelp[]): string {
  const indent = ' '.repeat(ABOUT_COLUMN);
  return entries
    .map(({ path, args, about }) => {
      const synopsis = `  ${path}${args ? ` ${args}` : ''}`;
      const [first = '', ...rest] = about;
      const fits = !synopsis.includes('\n') && synopsis.length < ABOUT_COLUMN - 1;
      const head = fits ? [synopsis.padEnd(ABOUT_COLUMN) + first] : [synopsis, indent + first];
      return [...head, ...rest.map((line) => indent + line)].join('\n');
    })
    .join('\n');
}

/** What `medic`, `medic help` and `medic --help` print. */
export const USAGE = `usage: medic <command>\n\n${table(COMMANDS)}\n\n${FOOTER}`;

export const VERSION = `medic ${MEDIC_VERSION}`;

/** `--help` or `-h` among a command's arguments (before a `--`, after which they are values). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * The help of one command (`replay audit`), or of a group (`replay`: each of
 * its commands); undefined for words that name neither.
 */
export function helpFor(path: string): string | undefined {
  const command = COMMANDS.find((c) => c.path === path);
  if (command !== undefined) {
    const usage = `usage: medic ${command.path}${command.args ? ` ${command.args.replace(/\n\s*/g, ' ')}` : ''}`;
    const options = (command.options ?? []).map(([name, meaning]) => `  ${name}\n      ${meaning}`);
    return [usage, '', ...command.about, ...(options.length > 0 ? ['', ...options] : [])].join('\n');
  }
  const group = COMMANDS.filter((c) => c.path.startsWith(`${path} `));
  return group.length > 0 ? `usage: medic ${path} <command>\n\n${table(group)}` : undefined;
}

/**
 * What the command line asks for: the overview (nothing, `help`, `--help`),
 * the release (`--version`), a command's or a group's help (`--help` after
 * its words; the command is not run), or a command with its arguments.
 */
export function routeOrHelp<C extends (...args: never[]) => unknown>(table: CommandTable<C>, argv: readonly string[]): { readonly text: string } | { readonly command: C; readonly args: readonly string[] } {
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') return { text: USAGE };
  if (first === '--version' || first === '-V' || first === 'version') return { text: VERSION };
  if (second !== undefined && asksForHelp([second]) && Object.hasOwn(table, first) && typeof table[first] === 'object') return { text: helpFor(first) ?? USAGE };
  const [command, args] = routeCommand(table, argv, USAGE);
  if (asksForHelp(args)) return { text: helpFor(argv.slice(0, argv.length - args.length).join(' ')) ?? USAGE };
  return { command, args };
}
