import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage, Message } from 'kafkajs';
import { Column, Entity, PrimaryColumn, type DataSource, type EntityManager } from 'typeorm';
import type { KillEvent } from '@medic/domain';
import { createTestDatabase, eventually, testInfra } from '@medic/testing';
import { SAMPLE_EVENTS } from '../../domain/test/kill-event-samples';
import { openDatabase } from './database';
import { deadLetter, readDeadLetter, type RejectedRecord } from './dead-letters';
import { newEnvelope, toKafkaMessage, type LoggedEvent } from './envelope';
import { createKafka, EOS_PRODUCER, provisionTopics } from './kafka';
import { readLog } from './log-reader';
import { readStream, readTallies, type StreamProjection } from './projection';
import { ProjectionRunner } from './projection-runner';
import { RebuildFailed } from './rebuild-records';
import { foldStepHistory, rebuildProjection, rebuildStepState } from './replay';
import { storePositions } from './step-positions';

@Entity({ name: 'kill_names' })
class KillName {
  @PrimaryColumn('text') killId!: string;
  @Column('int') events!: number;
}
const DDL = [`CREATE TABLE IF NOT EXISTS {schema}.kill_names ("killId" text PRIMARY KEY, events int NOT NULL)`, `CREATE TABLE IF NOT EXISTS {schema}.folded (kill_id text PRIMARY KEY)`];

/**
 * What a rebuild folds of a step's history, on real Kafka and Postgres: others'
 * events up to the step's position, every event of its own wherever it stands,
 * and what its committed rounds have yet to append, each once; and what it
 * leaves out, as the live step left it out (what it dead-lettered), or stops at.
 */
describe('rebuilds', () => {
  const id = `r${randomBytes(4).toString('hex')}`;
  const topic = `${id}.kill`;
  const dlq = `${id}.dlq`;
  let kafka: Kafka;
  let ds: DataSource;

  beforeAll(async () => {
    kafka = createKafka({ brokers: testInfra().brokers.split(','), clientId: id, maxWaitMs: 20, sessionTimeoutMs: 6000 });
    await provisionTopics(kafka, [topic, dlq, `${id}.poison`, `${id}.runner`], { partitions: 1, replicationFactor: 1 });
    ds = await openDatabase({ url: await createTestDatabase(testInfra().databaseUrl, `medic_${id}`), schema: 'svc', entities: [KillName], ddl: DDL });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const record = (killId: string, source: string): Message => {
    const event: KillEvent = { ...SAMPLE_EVENTS.CommandRejected, killId, commandId: `cmd-${killId}` };
    return toKafkaMessage('kill', newEnvelope('kill', event, { source, subject: event.killId, time: event.at }));
  };

  async function send(to: string, messages: Message[]): Promise<void> {
    const producer = kafka.producer(EOS_PRODUCER);
    await producer.connect();
    await producer.send({ topic: to, acks: -1, messages });
    await producer.disconnect();
  }

  async function readAll(from: string): Promise<KafkaMessage[]> {
    const out: KafkaMessage[] = [];
    await readLog(kafka, from, async (r) => {
      out.push(...r.messages);
      await Promise.resolve();
    });
    return out;
  }

  it("folds others' events up to the step's position, all its own, and its pending outputs once", async () => {
    // Offsets 0–4: others, others, own, others (not yet read by the step), own.
    const onLog = [record('k-0', 'other'), record('k-1', 'other'), record('k-2', 'own'), record('k-3', 'other'), record('k-4', 'own')];
    await send(topic, onLog);
    // The step has read up to offset 1; its last round's Kafka transaction still sends k-5, and k-4 again.
    await ds.transaction((tx) =>
      storePositions(tx, 'stepA', [
        { topic, partition: 0, lastOffset: '1', pending: [{ topic, message: record('k-5', 'own') }, { topic, message: onLog[4]! }, { topic: `${id}.elsewhere`, message: record('k-6', 'own') }] },
      ]),
    );
    // Another step's pending outputs are not this one's.
    await ds.transaction((tx) => storePositions(tx, 'stepB', [{ topic, partition: 0, lastOffset: '9', pending: [{ topic, message: record('k-7', 'own') }] }]));

    const folded: string[] = [];
    const result = await ds.transaction((tx) =>
      foldStepHistory({
        kafka,
        tx,
        name: 'test.history',
        stream: 'kill',
        topic,
        step: 'stepA',
        deadLetterTopic: dlq,
        ownSources: ['own'],
        pendingOf: ['stepA'],
        fold: (events) => {
          folded.push(...events.map((e) => e.data.killId));
          return Promise.resolve(events.length);
        },
      }),
    );
    expect(folded).toEqual(['k-0', 'k-1', 'k-2', 'k-4', 'k-5']);
    expect(result).toEqual({ applied: 5, rejected: 0, skipped: [] });
  });

  describe("a step's state", () => {
    const poison = `${id}.poison`;
    /** Each kill a row; the domain refuses kills named refused-*, and Postgres a name with a NUL in it, which fails the whole statement. */
    const fold = async (tx: EntityManager, events: readonly LoggedEvent<KillEvent>[], refuse: (e: LoggedEvent<KillEvent>, error: unknown) => void) => {
      const ok = events.filter((e) => {
        if (!e.data.killId.startsWith('refused-')) return true;
        refuse(e, new Error(`${e.data.killId} is not allowed`));
        return false;
      });
      if (ok.length > 0) await tx.query(`INSERT INTO folded SELECT unnest($1::text[])`, [ok.map((e) => e.data.killId)]);
      return ok.length;
    };
    const rebuild = () =>
      rebuildStepState({ name: 'test.folded', kafka, dataSource: ds, tables: ['folded'], stream: 'kill', topic: poison, step: 'stepP', deadLetterTopic: dlq, ownSources: ['own'], pendingOf: [], fold });
    const rows = async () => (await ds.query<{ kill_id: string }[]>('SELECT kill_id FROM folded ORDER BY kill_id')).map((r) => r.kill_id);
    const letter = (m: KafkaMessage, rejected: Pick<RejectedRecord, 'code' | 'reason' | 'rolledBack'>) => deadLetter('stepP', { topic: poison, partition: 0, message: m }, rejected, 3, new Date());

    it('leaves out what the step dead-lettered, lists it, and folds the rest of a batch Postgres refused', async () => {
      await send(poison, [record('ok-0', 'other'), record('undone-1', 'other'), record('refused-2', 'other'), record('nul-3\u0000', 'other'), record('ok-4', 'other')]);
      const [ok, undone, refused, nul] = await readAll(poison);
      // The step rolled undone-1 back whole (it would fold now), refused refused-2 (its dead letter still to be sent by a
      // committed round), and dead-lettered nul-3 without saying what it undid, as dead letters written before they said so.
      await send(dlq, [letter(undone!, { code: 'handler_error', reason: 'a passing fault', rolledBack: '*' }), letter(nul!, { code: 'handler_error', reason: 'Postgres refused the row' })]);
      // A dead letter of another step, or of another topic, is not this state's.
      await send(dlq, [
        deadLetter('stepQ', { topic: poison, partition: 0, message: ok! }, { code: 'handler_error', reason: 'not ours', rolledBack: '*' }, 3, new Date()),
        deadLetter('stepP', { topic: `${id}.elsewhere`, partition: 0, message: ok! }, { code: 'handler_error', reason: 'not ours', rolledBack: '*' }, 3, new Date()),
      ]);
      await ds.transaction((tx) =>
        storePositions(tx, 'stepP', [{ topic: poison, partition: 0, lastOffset: '4', pending: [{ topic: dlq, message: letter(refused!, { code: 'illegal_transition', reason: 'refused-2 is not allowed' }) }] }]),
      );

      const result = await rebuild();
      expect(result).toMatchObject({ projection: 'test.folded', applied: 2, rejected: 0 });
      expect(result.skipped).toEqual([
        { topic: poison, partition: 0, offset: '1', type: 'medic.kill.v1.CommandRejected', code: 'handler_error', reason: 'a passing fault' },
        { topic: poison, partition: 0, offset: '2', type: 'medic.kill.v1.CommandRejected', code: 'illegal_transition', reason: 'refused-2 is not allowed' },
        { topic: poison, partition: 0, offset: '3', type: 'medic.kill.v1.CommandRejected', code: 'handler_error', reason: 'Postgres refused the row' },
      ]);
      expect(await rows()).toEqual(['ok-0', 'ok-4']);
    });

    it('stops at a record that fails and that the step did not dead-letter, naming it, and keeps the state it had', async () => {
      await send(poison, [record('ok-5', 'other'), record('nul-6\u0000', 'other')]);
      // The round that dead-lettered refused-2 has sent its dead letter; the step has handled nul-6 since, without dead-lettering it.
      const refused = (await readAll(poison))[2]!;
      await send(dlq, [letter(refused, { code: 'illegal_transition', reason: 'refused-2 is not allowed' })]);
      await ds.transaction((tx) => storePositions(tx, 'stepP', [{ topic: poison, partition: 0, lastOffset: '6', pending: [] }]));
      const failure = await rebuild().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RebuildFailed);
      expect(failure).toMatchObject({ projection: 'test.folded', step: 'stepP', record: { topic: poison, partition: 0, offset: '6', type: 'medic.kill.v1.CommandRejected' } });
      expect((failure as Error).message).toMatch(
        new RegExp(`^test\\.folded: ${poison.replace(/\./g, '\\.')}/0@6 \\(medic\\.kill\\.v1\\.CommandRejected\\) cannot be folded, and the live step stepP did not dead-letter it: Postgres refused it: .*SQLSTATE 22021`),
      );
      expect(await rows()).toEqual(['ok-0', 'ok-4']);
    });
  });

  describe('a projection, against its live runner', () => {
    const source = `${id}.runner`;
    /** How many events each kill has had; evolve refuses kills named boom-*, and Postgres a name with a NUL in it. */
    const names: StreamProjection<'kill', KillName> = {
      name: 'test.kill_names',
      entity: KillName,
      read: readStream('kill', ['CommandRejected']),
      keyOf: (e) => e.data.killId,
      evolve: (row, e) => {
        if (e.data.killId.startsWith('boom-')) throw new Error(`cannot fold ${e.data.killId}`);
        return Object.assign(new KillName(), { killId: e.data.killId, events: (row?.events ?? 0) + 1 });
      },
      tally: (row) => ['kills', `events:${row.events}`],
    };
    const tallies = async () => Object.fromEntries(await readTallies(ds, names.name));
    const live = { step: 'runner', deadLetterTopic: dlq };
    const rows = () => ds.getRepository(KillName).find({ order: { killId: 'ASC' } });
    let runner: ProjectionRunner;

    beforeAll(async () => {
      runner = new ProjectionRunner({ kafka, dataSource: ds, step: 'runner', projections: [names], topic: source, deadLetterTopic: dlq, groupId: `${id}-runner`, maxWaitMs: 20, sessionTimeoutMs: 6000 });
      await runner.start();
    });
    afterAll(async () => {
      await runner?.stop();
    });

    it('rebuilds to the live rows, leaving out the record Postgres refused live and the one evolve refused', async () => {
      await send(source, [record('ok-a', 'other'), record('nul-b\u0000', 'other'), record('boom-c', 'other'), record('ok-a', 'other'), record('ok-d', 'other')]);
      const letters = await eventually(async () => {
        const all = (await readAll(dlq)).map((m) => readDeadLetter(m.headers)).filter((l) => l?.step === 'runner');
        return all.length >= 2 ? all : undefined;
      }, 'two dead letters from the runner');
      expect(letters.map((l) => [l?.sourceOffset, l?.code, l?.rolledBack])).toEqual([
        ['1', 'projection_failed', 'test.kill_names@1'],
        ['2', 'projection_failed', null],
      ]);
      const liveRows = await eventually(async () => {
        const now = await rows();
        return now.length === 2 ? now : undefined;
      }, 'the live rows');
      expect(liveRows).toEqual([
        { killId: 'ok-a', events: 2 },
        { killId: 'ok-d', events: 1 },
      ]);
      // ok-a went from one event to two; nothing of the refused records was counted.
      expect(await tallies()).toEqual({ kills: 2, 'events:1': 1, 'events:2': 1 });

      const result = await rebuildProjection({ kafka, dataSource: ds, projection: names, topic: source, live });
      expect(result).toMatchObject({ projection: 'test.kill_names', applied: 3, rejected: 0 });
      expect(result.skipped.map((k) => [k.offset, k.code])).toEqual([
        ['1', 'projection_failed'],
        ['2', 'projection_failed'],
      ]);
      expect(result.skipped[1]!.reason).toBe('test.kill_names: cannot fold boom-c');
      expect(await rows()).toEqual(liveRows);
      expect(await tallies()).toEqual({ kills: 2, 'events:1': 1, 'events:2': 1 });
    });

    it('stops at a record that fails where the live runner has not been yet, and keeps the rows it had', async () => {
      await runner.stop();
      const before = await rows();
      const counted = await tallies();
      await send(source, [record('ok-e', 'other'), record('nul-f\u0000', 'other')]);
      const failure = await rebuildProjection({ kafka, dataSource: ds, projection: names, topic: source, live }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RebuildFailed);
      expect((failure as Error).message).toMatch(/@6 \(medic\.kill\.v1\.CommandRejected\) cannot be folded, .*\(the live step has not reached it yet: rebuild again once it has\)$/);
      expect(await rows()).toEqual(before);
      expect(await tallies()).toEqual(counted);
    });
  });
});
