import type { CommandTable } from '../cli-args';
import { replayAudit, replayRebuild, replayRecalibrate } from './replay.command';
import { siemSeed } from './siem.command';
import { smithAnswer } from './smith-answer.command';
import { smithKill, smithReplay } from './smith.command';
import { up } from './up.command';

export type Command = (args: readonly string[], out: (text: string) => void) => Promise<void>;

/** Every command of the CLI, by its words; cli-help.ts has what each takes and does. */
export const COMMANDS: CommandTable<Command> = {
  up,
  replay: { audit: replayAudit, rebuild: replayRebuild, recalibrate: replayRecalibrate },
  siem: { seed: siemSeed },
  smith: { kill: smithKill, replay: smithReplay, answer: smithAnswer },
};
