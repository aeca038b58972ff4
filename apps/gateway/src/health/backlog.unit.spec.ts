import { backlogOf, groupBacklogs, ProgressWatch, unreadSteps } from './backlog';

const ends = (...e: [number, bigint][]) => new Map(e);

describe('backlogOf', () => {
  it('counts the offsets between where the reader stands and each partition’s end', () => {
    expect(backlogOf('t', ends([0, 10n], [1, 7n]), new Map([[0, 4n], [1, 2n]]))).toEqual({
      topic: 't',
      lag: 11,
      partitions: [
        { partition: 0, next: '4', end: '10' },
        { partition: 1, next: '2', end: '7' },
      ],
    });
  });

  it('does not count a lone offset left at the end (a commit marker no reader is shown)', () => {
    expect(backlogOf('t', ends([0, 10n]), new Map([[0, 9n]])).lag).toBe(0);
    expect(backlogOf('t', ends([0, 10n]), new Map([[0, 8n]])).lag).toBe(2);
    expect(backlogOf('t', ends([0, 10n]), new Map([[0, 10n]])).lag).toBe(0);
  });

  it('reads a partition without a position from its start, and lists partitions in order', () => {
    const b = backlogOf('t', ends([2, 5n], [0, 3n], [1, 0n]), new Map());
    expect(b.lag).toBe(8);
    expect(b.partitions.map((p) => [p.partition, p.next])).toEqual([
      [0, null],
      [1, null],
      [2, null],
    ]);
  });

  it('counts past 2^32 without losing offsets', () => {
    expect(backlogOf('t', ends([0, 2n ** 40n + 5n]), new Map([[0, 2n ** 40n]])).lag).toBe(5);
  });
});

describe('groupBacklogs', () => {
  const topicEnds = new Map([
    ['kill', ends([0, 20n], [1, 30n])],
    ['commands', ends([0, 4n])],
  ]);

  it('sums a group’s backlog over the topics it committed offsets in, and treats -1 as no position', () => {
    const [g] = groupBacklogs(
      [
        {
          group: 'medic-decision',
          state: 'Stable',
          members: 1,
          committed: [
            { topic: 'kill', partitions: [{ partition: 0, offset: '20' }, { partition: 1, offset: '25' }] },
            { topic: 'commands', partitions: [{ partition: 0, offset: '-1' }] },
          ],
        },
      ],
      topicEnds,
    );
    expect(g).toMatchObject({ group: 'medic-decision', state: 'Stable', members: 1, lag: 9 });
    expect(g!.topics.map((t) => [t.topic, t.lag])).toEqual([
      ['commands', 4],
      ['kill', 5],
    ]);
  });

  it('leaves out a topic whose end the broker did not give (deleted meanwhile)', () => {
    const [g] = groupBacklogs([{ group: 'g', state: 'Empty', members: 0, committed: [{ topic: 'gone', partitions: [{ partition: 0, offset: '3' }] }] }], topicEnds);
    expect(g).toEqual({ group: 'g', state: 'Empty', members: 0, lag: 0, topics: [] });
  });
});

describe('unreadSteps', () => {
  const group = (name: string, state: string, lag: number) => ({ group: name, state, members: state === 'Stable' ? 1 : 0, lag, topics: [{ topic: 'medic.kill.events', lag, partitions: [] }] });
  const steps = ['listener', 'decision', 'negotiator', 'negotiator-answers'];

  it('names a step whose group has no member while offsets wait, and why', () => {
    expect(unreadSteps([group('medic-decision', 'Empty', 10)], 'medic-', steps)).toEqual([
      { step: 'decision', group: 'medic-decision', waiting: 10, reason: 'no member of consumer group medic-decision is connected (Empty) while offsets wait: 10 on medic.kill.events' },
    ]);
  });

  it('leaves out a group that reads, one in a rebalance, one with nothing waiting, and groups of no known step or another prefix', () => {
    const groups = [
      group('medic-decision', 'Stable', 40),
      group('medic-listener', 'PreparingRebalance', 5),
      group('medic-negotiator', 'Empty', 0),
      group('medic-replay-audit', 'Empty', 9),
      group('other-decision', 'Empty', 9),
    ];
    expect(unreadSteps(groups, 'medic-', steps)).toEqual([]);
  });

  it('names a step whose group is connected but has not moved for long while offsets wait', () => {
    const stuck = group('medic-decision', 'Stable', 6);
    expect(unreadSteps([stuck], 'medic-', steps, () => 1_000, 181_000)).toEqual([
      { step: 'decision', group: 'medic-decision', waiting: 6, reason: 'consumer group medic-decision is connected but has not moved for 180 s while offsets wait: 6 on medic.kill.events' },
    ]);
    expect(unreadSteps([stuck], 'medic-', steps, () => null, 181_000)).toEqual([]);
    expect(unreadSteps([group('medic-decision', 'CompletingRebalance', 6)], 'medic-', steps, () => 1_000, 181_000)).toEqual([]);
  });

  it('takes the longest step a group is named after (a step with a group per topic)', () => {
    expect(unreadSteps([group('medic-negotiator-answers-smith.veto.answers', 'Dead', 3)], 'medic-', steps).map((u) => u.step)).toEqual(['negotiator-answers']);
  });
});

describe('ProgressWatch', () => {
  const reading = (next: string | null, end: string, state = 'Stable') => ({
    group: 'medic-decision',
    state,
    members: 1,
    lag: 0,
    topics: [{ topic: 'medic.kill.events', lag: 0, partitions: [{ partition: 0, next, end }] }],
  });

  it('says since when a group has not moved where offsets wait for it, once that is long enough', () => {
    const watch = new ProgressWatch();
    watch.observe([reading('10', '20')], 1_000);
    watch.observe([reading('10', '25')], 50_000);
    expect(watch.stalledSince(reading('10', '25'), 60_000, 50_000)).toBeNull();
    watch.observe([reading('10', '30')], 61_000);
    expect(watch.stalledSince(reading('10', '30'), 60_000, 61_000)).toBe(1_000);
  });

  it('starts the time again when the position moves, and says nothing while only a marker waits', () => {
    const watch = new ProgressWatch();
    watch.observe([reading('10', '20')], 1_000);
    watch.observe([reading('12', '20')], 70_000);
    expect(watch.stalledSince(reading('12', '20'), 60_000, 70_000)).toBeNull();
    expect(watch.stalledSince(reading('12', '20'), 60_000, 130_000)).toBe(70_000);
    watch.observe([reading('19', '20')], 10_000_000);
    expect(watch.stalledSince(reading('19', '20'), 60_000, 20_000_000)).toBeNull();
  });

  it('forgets a partition no longer read, so a group seen again starts afresh', () => {
    const watch = new ProgressWatch();
    watch.observe([reading('10', '20')], 1_000);
    watch.observe([], 2_000);
    watch.observe([reading('10', '20')], 100_000);
    expect(watch.stalledSince(reading('10', '20'), 60_000, 120_000)).toBeNull();
  });
});
