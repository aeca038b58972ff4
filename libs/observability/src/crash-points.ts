/*
 * Crash points: named places where a service can be told to die at once, as
 * if the machine lost power there, so tests can prove what a restart does
 * about work caught half-way (an intent committed but not acted on, an act
 * done but not recorded). MEDIC_CRASH_POINTS lists the names, comma
 * separated; unset (always, outside such tests) every point is a no-op.
 * The process kills itself with SIGKILL: no handler, no flush, no cleanup.
 */

let armed: ReadonlySet<string> | null = null;

function armedPoints(): ReadonlySet<string> {
  armed ??= new Set(
    (process.env.MEDIC_CRASH_POINTS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
  return armed;
}

/** Dies here when `name` is armed; otherwise returns at once. */
export function crashPoint(name: string): void {
  if (!armedPoints().has(name)) return;
  process.stderr.write(`medic: crash point ${name} reached (MEDIC_CRASH_POINTS); killing this process\n`);
  process.kill(process.pid, 'SIGKILL');
}
