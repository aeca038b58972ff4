import { CliError } from './cli-config';
import { parseCommandArgs, routeCommand, type CommandTable } from './cli-args';

/** The usage error a call throws: its message and exit code. */
function refusal(call: () => unknown): { message: string; exitCode: number } {
  try {
    call();
  } catch (error) {
    if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected a usage error');
}

describe('command arguments', () => {
  const spec = {
    usage: 'usage: medic demo <module> [--size N] [--colour red|blue] [--loud]',
    options: { size: { type: 'string' }, colour: { type: 'string' }, loud: { type: 'boolean' } },
    positionals: ['<module>'],
    expects: { colour: 'one of red, blue' },
  } as const;
  const parse = (args: string[]) => parseCommandArgs(args, spec);

  it('reads options and arguments in any order', () => {
    expect(parse(['--size', '3', 'web', '--loud', '--colour=red'])).toMatchObject({ values: { size: '3', colour: 'red', loud: true }, positionals: ['web'] });
  });

  it('takes a negative number as a value, for the command to judge', () => {
    expect(parse(['web', '--size', '-3']).values.size).toBe('-3');
    expect(parse(['web', '--size', '-0.5']).values.size).toBe('-0.5');
  });

  it.each([
    [['web', '--bogus'], 'unknown option --bogus; known: --size, --colour, --loud'],
    [['web', '-x'], 'unknown option -x; known: --size, --colour, --loud'],
    [['web', '--size'], '--size needs a value'],
    [['web', '--colour'], '--colour needs a value (one of red, blue)'],
    [['web', '--colour', '--loud'], '--colour needs a value (one of red, blue)'],
    [['web', '--size', '-x'], '--size needs a value'],
    [['web', '--loud=yes'], '--loud takes no value'],
    [[], 'missing <module>'],
    [['--loud'], 'missing <module>'],
    [['web', 'db'], 'unexpected argument db'],
    // What was typed is repeated on one line and cut short: no escape sequence reaches the terminal, no pasted file floods it.
    [['web', `--${'x'.repeat(300)}`], `unknown option --${'x'.repeat(126)}…; known: --size, --colour, --loud`],
    [['web', 'db\u001b[2J\n'], 'unexpected argument db\\u001b[2J\\u000a'],
  ])('refuses %j: %s, with the usage under it and exit 2', (args, message) => {
    expect(refusal(() => parse(args))).toEqual({ message: `${message}\n${spec.usage}`, exitCode: 2 });
  });

  it('says a command that takes no options takes none', () => {
    expect(refusal(() => parseCommandArgs(['--json'], { usage: 'usage: medic siem seed', options: {} })).message).toMatch(/^unknown option --json; this command takes none\n/);
  });
});

describe('command routing', () => {
  const up = () => 'up';
  const kill = () => 'kill';
  const replay = () => 'replay';
  const table: CommandTable<() => string> = { up, smith: { kill, replay } };
  const usage = 'usage: medic <command>';

  it('finds a command or a subcommand, with the arguments after it', () => {
    expect(routeCommand(table, ['up', '--no-siem'], usage)).toEqual([up, ['--no-siem']]);
    expect(routeCommand(table, ['smith', 'kill', 'web', '--stop'], usage)).toEqual([kill, ['web', '--stop']]);
  });

  it.each([
    [['deploy'], 'unknown command: deploy'],
    [['toString'], 'unknown command: toString'],
    [['\u001b[31mred'], 'unknown command: \\u001b[31mred'],
    [['y'.repeat(5_000)], `unknown command: ${'y'.repeat(128)}…`],
    [['smith'], 'smith needs a subcommand: kill, replay'],
    [['smith', '--stop'], 'smith needs a subcommand: kill, replay'],
    [['smith', 'dance'], 'unknown command: smith dance; smith has kill, replay'],
    [['smith', 'da\rnce'], 'unknown command: smith da\\u000dnce; smith has kill, replay'],
  ])('refuses %j: %s, with the usage and exit 2', (argv, message) => {
    expect(refusal(() => routeCommand(table, argv, usage))).toEqual({ message: `${message}\n\n${usage}`, exitCode: 2 });
  });
});
