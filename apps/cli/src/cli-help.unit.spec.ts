import { MEDIC_VERSION } from '@medic/observability';
import { CliError } from './cli-config';
import { helpFor, routeOrHelp, USAGE } from './cli-help';
import { COMMANDS } from './commands';

/** A command of a group, from the table the CLI runs. */
const subcommand = (group: string, name: string) => (COMMANDS[group] as Readonly<Record<string, unknown>>)[name];

/** Every command's words, from the table the CLI runs. */
const paths = Object.entries(COMMANDS).flatMap(([name, entry]) => (typeof entry === 'function' ? [name] : Object.keys(entry).map((sub) => `${name} ${sub}`)));

describe('the CLI help', () => {
  it('has an entry for every command the CLI runs, and none for a command it does not', () => {
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) {
      expect(helpFor(path)).toMatch(new RegExp(`^usage: medic ${path}( |\\n)`));
      expect(USAGE).toContain(`\n  ${path}`);
    }
    const listed = [...USAGE.matchAll(/^ {2}([a-z]+(?: [a-z]+)?)(?= |$)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...paths].sort());
  });

  it('explains only options that the command\'s usage line names', () => {
    for (const path of paths) {
      const [usage = '', ...rest] = helpFor(path)!.split('\n');
      const explained = rest.filter((line) => /^ {2}\S/.test(line)).flatMap((line) => line.match(/--[a-z-]+/g) ?? []);
      for (const option of explained) expect(`${path}: ${usage}`).toContain(option);
    }
    expect(helpFor('smith kill')).toContain('\n  --severity S\n      one of critical, ');
  });

  it.each([[[]], [['help']], [['--help']], [['-h']]])('prints the overview for %j', (argv) => {
    expect(routeOrHelp(COMMANDS, argv)).toEqual({ text: USAGE });
  });

  it.each([[['--version']], [['-V']], [['version']]])('prints the release for %j', (argv) => {
    expect(routeOrHelp(COMMANDS, argv)).toEqual({ text: `medic ${MEDIC_VERSION}` });
  });

  it('prints a command\'s help instead of running it, wherever --help or -h comes before a --', () => {
    const up = routeOrHelp(COMMANDS, ['up', '--help']);
    expect(up).toEqual({ text: expect.stringMatching(/^usage: medic up \[--no-siem\] \[--demo-target M\]\n\nstart Kafka/) });
    expect(routeOrHelp(COMMANDS, ['smith', 'kill', 'web', '--stop', '-h'])).toEqual({ text: helpFor('smith kill') });
    // After `--` it is an argument for the command.
    expect(routeOrHelp(COMMANDS, ['smith', 'kill', '--', '--help'])).toEqual({ command: subcommand('smith', 'kill'), args: ['--', '--help'] });
  });

  it('lists a group\'s commands for `medic <group> --help`', () => {
    const { text } = routeOrHelp(COMMANDS, ['replay', '--help']) as { text: string };
    expect(text.split('\n')[0]).toBe('usage: medic replay <command>');
    for (const sub of ['audit', 'rebuild', 'recalibrate']) expect(text).toContain(`\n  replay ${sub}`);
    expect(text).not.toContain('smith');
  });

  it('runs a command with its arguments when no help is asked for', () => {
    expect(routeOrHelp(COMMANDS, ['replay', 'audit', 'k-1', '--json'])).toEqual({ command: subcommand('replay', 'audit'), args: ['k-1', '--json'] });
  });

  it.each([[['deploy', '--help']], [['__proto__', '--help']], [['toString', '-h']]])('refuses an unknown command %j even with --help (exit 2)', (argv) => {
    let refused: unknown;
    try {
      routeOrHelp(COMMANDS, argv);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(CliError);
    expect((refused as CliError).exitCode).toBe(2);
    expect((refused as CliError).message).toMatch(/^unknown command: /);
  });

  it('keeps the overview within 120 columns', () => {
    // The smith kill synopsis is one long line by design; every description line fits.
    const long = USAGE.split('\n').filter((line) => line.length > 120 && !line.startsWith('  smith kill'));
    expect(long).toEqual([]);
  });
});
