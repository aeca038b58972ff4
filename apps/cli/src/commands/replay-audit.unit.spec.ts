import { CliError } from '../cli-config';
import { replayAudit } from './replay.command';

describe('medic replay audit <kill_id>', () => {
  const refused = async (killId: string): Promise<CliError> => {
    const error = await replayAudit([killId], () => undefined).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  };

  it('refuses an id that is too long with exit code 2, echoing only its start', async () => {
    const error = await refused('a'.repeat(5_000));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`"${'a'.repeat(128)}…" is not a valid kill_id: it is longer than 128 characters`);
  });

  it('shows control characters of a refused id as escapes, never raw', async () => {
    const error = await refused('bad\u0001id\u001b[2J');
    expect(error.message).toContain('"bad\\u0001id\\u001b[2J" is not a valid kill_id');
    expect([...error.message].every((c) => c >= ' ')).toBe(true);
  });
});
