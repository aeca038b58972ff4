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
 * service down, or never started, with work for it. A group in a rebalance is
 * left out (its members are coming back), and so is one with nothing waiting.
 */
export function unreadSteps(groups: readonly GroupBacklog[], prefix: string, steps: readonly string[]): UnreadStep[] {
  const byLength = [...steps].sort((a, b) => b.length - a.length);
  return groups.flatMap((g) => {
    if (!g.group.startsWith(prefix) || !NOT_READING.has(g.state) || g.lag <= 0) return [];
    const name = g.group.slice(prefix.length);
    const step = byLength.find((s) => name === s || name.startsWith(`${s}-`));
    if (step === undefined) return [];
    const where = g.topics
      .filter((t) => t.lag > 0)
      .map((t) => `${t.lag} on ${t.topic}`)
      .join(', ');
    return [{ step, group: g.group, waiting: g.lag, reason: `no member of consumer group ${g.group} is connected (${g.state}) while offsets wait: ${where}` }];
  });
}
