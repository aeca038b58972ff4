import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError, shown } from './cli-config';

/** What a command takes on its command line. */
export interface CommandArgs<O extends ParseArgsOptionsConfig> {
  /** The command's usage line, shown under any mistake. */
  readonly usage: string;
  readonly options: O;
  /** The arguments it needs besides its options, in order (`<module>`); none by default. */
  readonly positionals?: readonly string[];
  /** What an option's value is (`a module name`, `one of …`), said when it is missing. */
  readonly expects?: { readonly [K in keyof O]?: string };
}

/**
 * A command's arguments, read by node:util parseArgs. A mistake is a usage
 * error (exit 2) that says what is wrong in the command's own words — an
 * unknown option, an option without its value, a missing or extra argument —
 * with the usage line under it.
 */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(args: readonly string[], spec: CommandArgs<O>) {
  const given = joinNegativeValues(args, spec.options);
  const wanted = spec.positionals ?? [];
  let parsed;
  try {
    parsed = parseArgs({ args: given, options: spec.options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${optionMistake(given, spec) ?? (error as Error).message}\n${spec.usage}`, 2);
  }
  const missing = wanted[parsed.positionals.length];
  if (missing !== undefined) throw new CliError(`missing ${missing}\n${spec.usage}`, 2);
  const extra = parsed.positionals[wanted.length];
  if (extra !== undefined) throw new CliError(`unexpected argument ${shown(extra)}\n${spec.usage}`, 2);
  return parsed;
}

/**
 * `--count -3` as `--count=-3`: parseArgs takes a value that starts with a dash
 * for a forgotten value, but a negative number is a value, for the command to judge.
 */
function joinNegativeValues(args: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--') return [...joined, ...args.slice(i)];
    const isStringOption = arg.startsWith('--') && Object.hasOwn(options, arg.slice(2)) && options[arg.slice(2)]!.type === 'string';
    if (isStringOption && next !== undefined && /^-\.?\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else joined.push(arg);
  }
  return joined;
}

/** The first option parseArgs refuses, said plainly; undefined when none is to blame. */
function optionMistake<O extends ParseArgsOptionsConfig>(args: string[], spec: CommandArgs<O>): string | undefined {
  const { tokens } = parseArgs({ args, options: spec.options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(spec.options, token.name) ? spec.options[token.name] : undefined;
    if (option === undefined) {
      const known = Object.keys(spec.options).map((name) => `--${name}`);
      return `unknown option ${shown(token.rawName)}; ${known.length > 0 ? `known: ${known.join(', ')}` : 'this command takes none'}`;
    }
    if (option.type === 'boolean' && token.inlineValue) return `${token.rawName} takes no value`;
    // parseArgs takes the next argument as the value, unless it looks like an option.
    if (option.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) {
      const expected = spec.expects?.[token.name];
      return `${token.rawName} needs a value${expected ? ` (${expected})` : ''}`;
    }
  }
  return undefined;
}

/** A command, or a group of subcommands by name (`smith` → kill, replay, answer). */
export type CommandTable<C> = Readonly<Record<string, C | Readonly<Record<string, C>>>>;

/** The command argv names, with the arguments it gets; an unknown or missing (sub)command is a usage error. */
export function routeCommand<C extends (...args: never[]) => unknown>(table: CommandTable<C>, argv: readonly string[], usage: string): [C, readonly string[]] {
  const [name = '', sub, ...rest] = argv;
  const entry = Object.hasOwn(table, name) ? table[name]! : undefined;
  if (entry === undefined) throw new CliError(`unknown command: ${shown(name)}\n\n${usage}`, 2);
  if (typeof entry === 'function') return [entry, argv.slice(1)];
  const subcommands = Object.keys(entry).join(', ');
  if (sub === undefined || sub.startsWith('-')) throw new CliError(`${name} needs a subcommand: ${subcommands}\n\n${usage}`, 2);
  if (!Object.hasOwn(entry, sub)) throw new CliError(`unknown command: ${name} ${shown(sub)}; ${name} has ${subcommands}\n\n${usage}`, 2);
  return [entry[sub]!, rest];
}
