import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { topicEnds } from './log-reader';
import { slotKey } from './step-positions';

/** How long every partition short of its end by one offset at most stays so before that offset is taken for a commit marker. */
const MARKER_SETTLE_MS = 1_000;

/** A reader of the log whose progress can be set against where the log ends. */
export interface LogProgress {
  readonly topics: readonly string[];
  /** The consumer group whose committed offsets count as read (those of every replica), if any. */
  readonly groupId?: string;
  /**
   * By partition (`slotKey`), the offset the reader reads next, everything
   * before it handled: what this process knows beyond the group's committed
   * offsets (a projection's stored positions, a step's rounds whose offsets
   * Kafka has not had yet). A partition missing is read from its start.
   */
  position(): Promise<ReadonlyMap<string, bigint>>;
}

/**
 * Whether readers of the log have read it as far as it reached when they were
 * first asked: for work that must not act on a state older than the log (a
 * timer firing right after a restart, before its step has read what came in
 * meanwhile; an analysis weighing projections). A partition's last offset may
 * be a commit marker, which no reader is shown, or a record appended outside
 * a transaction and not read yet: a partition one offset short of its end
 * counts as read once every partition has stayed within one offset for a
 * second, which a running reader takes to read a record that is there.
 */
export class CatchUp {
  private admin: Promise<Admin> | null = null;
  /** Where each topic's partitions ended at the first look. */
  private ends: Map<string, Map<number, bigint>> | null = null;
  private oneShortSince: number | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly readers: readonly LogProgress[],
  ) {}

  /** One look (the first takes where the log ends); true once every reader has got there. */
  async reached(): Promise<boolean> {
    const admin = await this.connected();
    this.ends ??= await this.endsOf(admin);
    const ends = this.ends;
    const read = await Promise.all(this.readers.map((r) => this.readOf(admin, r)));
    const gaps = this.readers.flatMap((reader, i) =>
      reader.topics.flatMap((topic) => [...(ends.get(topic) ?? [])].map(([partition, end]) => end - (read[i]!.get(slotKey(topic, partition)) ?? 0n))),
    );
    const now = performance.now();
    if (gaps.every((gap) => gap <= 0n)) return true;
    if (!gaps.every((gap) => gap <= 1n)) {
      this.oneShortSince = null;
      return false;
    }
    this.oneShortSince ??= now;
    return now - this.oneShortSince >= MARKER_SETTLE_MS;
  }

  /** Looks every 100 ms until the readers have got there or `timeoutMs` has passed; says whether they did. */
  async within(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (await this.reached()) return true;
      if (performance.now() >= deadline) return false;
      await delay(100);
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await (await admin.catch(() => null))?.disconnect();
  }

  private connected(): Promise<Admin> {
    if (this.admin === null) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      // A broker away at the first look: the next look connects afresh.
      this.admin.catch(() => {
        this.admin = null;
      });
    }
    return this.admin;
  }

  private async endsOf(admin: Admin): Promise<Map<string, Map<number, bigint>>> {
    const ends = new Map<string, Map<number, bigint>>();
    for (const topic of new Set(this.readers.flatMap((r) => r.topics))) ends.set(topic, await topicEnds(admin, topic));
    return ends;
  }

  /** What a reader has read: the further of its own position and its group's committed offsets. */
  private async readOf(admin: Admin, reader: LogProgress): Promise<Map<string, bigint>> {
    const read = new Map(await reader.position());
    if (reader.groupId !== undefined) {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId: reader.groupId, topics: [...reader.topics] })) {
        for (const { partition, offset } of partitions) {
          const key = slotKey(topic, partition);
          const committed = BigInt(offset);
          if (committed > (read.get(key) ?? 0n)) read.set(key, committed);
        }
      }
    }
    return read;
  }
}
