import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import { applicationNameOf, DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { Logger } from '@medic/observability';
import { CommandVerdict, VERDICT_CHANNEL } from './command-verdict.entity';

/** How often a waiter looks at the table anyway, in case a notification was missed (e.g. while reconnecting). */
const RECHECK_MS = 500;

/**
 * Waits for the workflow's verdict on a command. The verdicts projection
 * announces each verdict when its transaction commits (Postgres NOTIFY), so
 * whichever gateway replica applied it, every replica's waiters wake at once.
 */
@Injectable()
export class VerdictWaiter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('medic.gateway.verdicts');
  private readonly waiting = new Map<string, Set<() => void>>();
  private client: Client | null = null;
  private closed = false;

  constructor(
    @Inject(MEDIC_CONFIG) private readonly config: MedicConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }

  /** The verdict on `commandId`, or null when none came within `timeoutMs`. */
  async wait(commandId: string, timeoutMs: number): Promise<CommandVerdict | null> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => undefined;
    const waiters = this.waiting.get(commandId) ?? new Set();
    this.waiting.set(commandId, waiters);
    try {
      for (;;) {
        // Registered before looking, so a verdict committed in between still wakes us.
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
          waiters.add(wake);
        });
        const verdict = await this.find(commandId);
        const left = deadline - Date.now();
        if (verdict || left <= 0) return verdict;
        await Promise.race([woken, delay(Math.min(left, RECHECK_MS))]);
        waiters.delete(wake);
      }
    } finally {
      waiters.delete(wake);
      if (waiters.size === 0) this.waiting.delete(commandId);
    }
  }

  find(commandId: string): Promise<CommandVerdict | null> {
    return this.dataSource.getRepository(CommandVerdict).findOneBy({ commandId });
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.database.url, fallback_application_name: applicationNameOf('gateway') });
    client.on('notification', (n) => {
      for (const wake of this.waiting.get(n.payload ?? '') ?? []) wake();
    });
    client.on('error', (error) => {
      this.logger.warn('verdict notifications lost their connection; reconnecting', { error });
      void this.reconnect(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${VERDICT_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  private async reconnect(broken: Client): Promise<void> {
    if (this.client !== broken) return;
    this.client = null;
    await broken.end().catch(() => undefined);
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.listen();
        this.logger.info('verdict notifications back');
        return;
      } catch (error) {
        this.logger.warn('could not listen for verdicts yet; waiters fall back to looking', { attempt, error });
        await delay(Math.min(10_000, 250 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
