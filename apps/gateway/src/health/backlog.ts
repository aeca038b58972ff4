/** Where a reader stands in one partition of a topic, and where the partition's log ends. */
export interface PartitionBacklog {
  readonly partition: number;
  /** The offset the reader reads next; null when it has never stored a position there. */
  readonly next: string | null;
  readonly end: string;
}

export interface TopicBacklog {
  readonly topic: string;
  /** Offsets between where the reader stands and the log's end, over the topic's partitions. */
  readonly lag: number;
  readonly partitions: readonly PartitionBacklog[];
}

/**
 * How far a reader is behind each partition of a topic: `ends` from the
 * broker, `next` the offset it reads next in each partition it has a position
 * in (a partition without one is read from its start). Offsets are counted as
 * Kafka's own tools count them, commit markers included, except that a lone
 * offset left at the end is not: the last offset of a partition written by
 * transactions is a commit marker, which no reader is shown and so never
 * moves past.
 */
export function backlogOf(topic: string, ends: ReadonlyMap<number, bigint>, next: ReadonlyMap<number, bigint>): TopicBacklog {
  let lag = 0n;
  const partitions = [...ends]
    .sort(([a], [b]) => a - b)
    .map(([partition, end]): PartitionBacklog => {
      const at = next.get(partition);
      const gap = end - (at ?? 0n);
      if (gap > 1n) lag += gap;
      return { partition, next: at === undefined ? null : at.toString(), end: end.toString() };
    });
  return { topic, lag: Number(lag), partitions };
}

/** A consumer group as the broker describes it, with the offsets it has committed (`-1` for none) by topic and partition. */
export interface GroupOffsets {
  readonly group: string;
  readonly state: string;
  readonly members: number;
  readonly committed: readonly { readonly topic: string; readonly partitions: readonly { readonly partition: number; readonly offset: string }[] }[];
}

export interface GroupBacklog {
  readonly group: string;
  /** The broker's word for the group: `Stable` while its members read, `Empty` when none is connected, a rebalance state in between. */
  readonly state: string;
  readonly members: number;
  /** Over every topic the group has committed offsets in. */
  readonly lag: number;
  readonly topics: readonly TopicBacklog[];
}

/** Each group's backlog on each topic it reads, from the offsets it committed and the topics' ends (topics whose ends are unknown are left out). */
export function groupBacklogs(groups: readonly GroupOffsets[], ends: ReadonlyMap<string, ReadonlyMap<number, bigint>>): GroupBacklog[] {
  return groups.map(({ group, state, members, committed }) => {
    const topics = committed.flatMap(({ topic, partitions }) => {
      const topicEnds = ends.get(topic);
      if (topicEnds === undefined) return [];
      const next = new Map(partitions.flatMap((p) => (/^\d+$/.test(p.offset) ? [[p.partition, BigInt(p.offset)] as const] : [])));
      return [backlogOf(topic, topicEnds, next)];
    });
    topics.sort((a, b) => a.topic.localeCompare(b.topic));
    return { group, state, members, lag: topics.reduce((sum, t) => sum + t.lag, 0), topics };
  });
}

/** A step whose consumer group has no member while offsets wait for it. */
export interface UnreadStep {
  readonly step: string;
  readonly group: string;
  readonly waiting: number;
  readonly reason: string;
}

/** Group states in which no member is reading: the broker's `Empty`, and `Dead` for a group being removed. */
const NOT_READING = new Set(['Empty', 'Dead']);

/**
 * The steps (of `steps`, named `<prefix>-<step>` or `<prefix>-<step>-…` as
 * their groups are) that nothing reads for while their backlog waits: a
 * service down, or never started, with work for it; or, with `stalledSince`,
 * one whose group is connected but has not moved for long while offsets wait
 * (a round hung or failing again and again). A group in a rebalance is left
 * out (its members are coming back), and so is one with nothing waiting.
 */
export function unreadSteps(groups: readonly GroupBacklog[], prefix: string, steps: readonly string[], stalledSince: (g: GroupBacklog) => number | null = () => null, now = Date.now()): UnreadStep[] {
  const byLength = [...steps].sort((a, b) => b.length - a.length);
  return groups.flatMap((g) => {
    if (!g.group.startsWith(prefix) || g.lag <= 0) return [];
    const name = g.group.slice(prefix.length);
    const step = byLength.find((s) => name === s || name.startsWith(`${s}-`));
    if (step === undefined) return [];
    const where = g.topics
      .filter((t) => t.lag > 0)
      .map((t) => `${t.lag} on ${t.topic}`)
      .join(', ');
    if (NOT_READING.has(g.state)) return [{ step, group: g.group, waiting: g.lag, reason: `no member of consumer group ${g.group} is connected (${g.state}) while offsets wait: ${where}` }];
    const since = g.state === 'Stable' ? stalledSince(g) : null;
    if (since === null) return [];
    const seconds = Math.round((now - since) / 1000);
    return [{ step, group: g.group, waiting: g.lag, reason: `consumer group ${g.group} is connected but has not moved for ${seconds} s while offsets wait: ${where}` }];
  });
}

/**
 * Since when each partition of each group has stood where it stands, as far
 * as this process has seen: a step can stay connected to its group (`Stable`)
 * while making no progress, its round hung on a lock or failing again and
 * again, which neither the group's state nor a single reading tells.
 */
export class ProgressWatch {
  private readonly since = new Map<string, { readonly next: string | null; readonly at: number }>();

  /** Takes a reading: a partition whose position moved (or first seen) starts its time again; partitions no longer read are forgotten. */
  observe(groups: readonly GroupBacklog[], now: number): void {
    const present = new Set<string>();
    for (const g of groups) {
      for (const t of g.topics) {
        for (const p of t.partitions) {
          const key = `${g.group}\u0000${t.topic}\u0000${p.partition}`;
          present.add(key);
          if (this.since.get(key)?.next !== p.next) this.since.set(key, { next: p.next, at: now });
        }
      }
    }
    for (const key of this.since.keys()) if (!present.has(key)) this.since.delete(key);
  }

  /**
   * Since when the group has not moved in a partition where offsets wait for
   * it (more than a lone marker), if that is at least `stallMs` before `now`;
   * the earliest such time over its partitions, or null.
   */
  stalledSince(g: GroupBacklog, stallMs: number, now: number): number | null {
    let earliest: number | null = null;
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (BigInt(p.end) - BigInt(p.next ?? '0') <= 1n) continue;
        const at = this.since.get(`${g.group}\u0000${t.topic}\u0000${p.partition}`)?.at;
        if (at !== undefined && now - at >= stallMs && (earliest === null || at < earliest)) earliest = at;
      }
    }
    return earliest;
  }
}
