import { addMinutes, compareInstants, secondsBetween } from '../shared/time';
import { plural } from '../shared/wording';

/**
 * A resurrection goes ahead only while what set it going is fresh: within the
 * decision's `timeout_minutes` (its validity window, spec 2.3) of the moment
 * it was authorized, by the policy's auto-approval, a human's approval,
 * Smith's all-clear or the end of a backoff, whichever came last. An executor
 * that gets to it later (it was down, or far behind) does not act on a
 * situation that may have changed since. The window runs from the
 * authorization, not from the decision: an approval given hours after the
 * decision, while its queue item was still open, is a fresh judgement.
 *
 * Returns why the authorization is stale at `now`, or null while it is valid.
 */
export function staleAuthorization(authorizedAt: string, validMinutes: number, now: string): string | null {
  const minutesOld = minutesPastWindow(authorizedAt, validMinutes, now);
  if (minutesOld === null) return null;
  return (
    `the resurrection was authorized at ${authorizedAt}, valid for ${plural(validMinutes, 'minute')} (the decision's timeout_minutes), ` +
    `and was ${plural(minutesOld, 'minute')} old when the executor came to it: it was not carried out, since the situation it was judged on may have changed; ` +
    'start the module by hand if it should still come back'
  );
}

/**
 * The same window for a resurrection under way whose start the engine
 * refused: the retry (attempt `attempt`) goes ahead only within
 * `timeout_minutes` of when it was due. An executor that comes to it later
 * (it, or the workflow timing it, was down that long) does not start the
 * module on an approval judged before all that.
 *
 * Returns why the retry is not made at `now`, or null while it may be.
 */
export function staleRetry(dueAt: string, attempt: number, validMinutes: number, now: string): string | null {
  const minutesLate = minutesPastWindow(dueAt, validMinutes, now);
  if (minutesLate === null) return null;
  return (
    `attempt ${attempt - 1} was refused by the container engine and attempt ${attempt} was due at ${dueAt}, and the executor came to it ${plural(minutesLate, 'minute')} later, ` +
    `past the decision's validity of ${plural(validMinutes, 'minute')} (its timeout_minutes): attempt ${attempt} was not made, since the situation the approval was judged on may have changed; ` +
    'start the module by hand if it should still come back'
  );
}

/**
 * The same window for an intent to start a module that the executor acts on
 * only after a crash: counted from when the intent was written (right after
 * its authorization was found fresh, or its retry's wait was over). An
 * executor that was down longer than that between writing and acting does
 * not start the module; one that finds the start already made records it.
 *
 * Returns why the intent is not acted on at `now`, or null while it may be.
 */
export function staleIntent(intentAt: string, attempt: number, validMinutes: number, now: string): string | null {
  const minutesLate = minutesPastWindow(intentAt, validMinutes, now);
  if (minutesLate === null) return null;
  return (
    `the intent of attempt ${attempt} was written at ${intentAt}, and the executor came to act on it ${plural(minutesLate, 'minute')} after it was due, ` +
    `past the decision's validity of ${plural(validMinutes, 'minute')} (its timeout_minutes): the module was not started, since the situation the approval was judged on may have changed; ` +
    'start the module by hand if it should still come back'
  );
}

/** Whole minutes from `from` to `now` once `now` is past `validMinutes` after `from`; null while within them. */
function minutesPastWindow(from: string, validMinutes: number, now: string): number | null {
  if (compareInstants(now, addMinutes(from, validMinutes)) <= 0) return null;
  return Math.floor(secondsBetween(from, now) / 60);
}
