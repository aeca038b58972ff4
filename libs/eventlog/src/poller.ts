import { Logger } from '@medic/observability';

/**
 * Runs `work` again and again: at once while it finds something to do, every
 * `pollMs` when it does not, at once when woken (a wake during a run makes
 * the next run immediate), and after a pause when it fails. One run at a
 * time; `stop` waits for the run under way.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private woken = false;
  private readonly logger: Logger;

  constructor(
    private readonly name: string,
    private readonly pollMs: number,
    /** Returns how much it did: more than nothing means look again at once. */
    private readonly work: () => Promise<number>,
  ) {
    this.logger = new Logger(`medic.poll.${name}`);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something is due now: look at once rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.woken = false;
      this.running = this.work()
        .then((done) => {
          this.running = null;
          this.schedule(done > 0 || this.woken ? 0 : this.pollMs);
        })
        .catch((error: unknown) => {
          this.running = null;
          this.logger.warn(`${this.name} failed; trying again`, { error });
          this.schedule(Math.max(this.pollMs, 1000));
        });
    }, delayMs);
  }
}
