import { setTimeout as delay } from 'node:timers/promises';

/** How long a request that appended an event waits for the gateway's own view to show it. */
export const OWN_VIEW_WAIT_MS = 5_000;

/**
 * Waits, a little, until the gateway's own projection holds what the request
 * just appended at `at`, so that a GET right after agrees with the answer:
 * `seenAt` reads when the projection's latest change was made (null before
 * any). Past `withinMs` the answer goes out anyway: the event is on the log,
 * and the projection will fold it.
 */
export async function untilOwnViewShows(seenAt: () => Promise<number | null>, at: string, withinMs = OWN_VIEW_WAIT_MS): Promise<void> {
  const wanted = Date.parse(at);
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const seen = await seenAt();
    if (seen !== null && seen >= wanted) return;
    await delay(50);
  }
}
