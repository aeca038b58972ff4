import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage, type Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { decodeEvent } from '@medic/contracts';
import { askSmith, preResurrectionNotice, type KillEvent, type KillEventOf, type VetoEvent } from '@medic/domain';
import { EOS_PRODUCER, openDatabase } from '@medic/eventlog';
import { createTestDatabase, eventually, testInfra } from '@medic/testing';
import { NEGOTIATOR_DDL, NEGOTIATOR_ENTITIES, VetoKill } from './negotiator.schema';
import type { NegotiatorSettings } from './negotiator.settings';
import { VetoTimers } from './veto-timers';
import { nextAsk, VetoKills } from './veto-kills';

/*
 * The negotiator's timers on real Postgres and Kafka: a notice a crash left
 * unsent goes out when they start, and due exchanges fire once, however many
 * replicas look at the same time.
 */
describe('veto notices and timers', () => {
  const id = `n${randomBytes(4).toString('hex')}`;
  const settings: NegotiatorSettings = {
    enabled: true,
    veto: { timeoutSeconds: 30, defaultOnTimeout: 'proceed', deferDelaySeconds: 5, maxDefers: 2 },
    killEventsTopic: `${id}.kill.events`,
    noticeTopic: `${id}.smith.veto`,
    defaultReplyTo: `${id}.responses`,
    replyTopics: [`${id}.responses`, `${id}.answers`],
    dlqTopic: `${id}.dlq.veto`,
    maxAnswerBytes: 65_536,
  };
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    const infra = testInfra();
    ds = await openDatabase({ url: await createTestDatabase(infra.databaseUrl, `medic_${id}`), schema: 'negotiator', entities: NEGOTIATOR_ENTITIES, ddl: NEGOTIATOR_DDL });
    kafka = new Kafka({ clientId: id, brokers: infra.brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [settings.killEventsTopic, settings.noticeTopic].map((topic) => ({ topic, numPartitions: 3 })) });
    await admin.disconnect();
    producer = kafka.producer(EOS_PRODUCER);
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await ds?.destroy();
  });

  /** Every record of a topic, once `enough` says so. */
  async function read(topic: string, enough: (all: KafkaMessage[]) => boolean): Promise<KafkaMessage[]> {
    const consumer = kafka.consumer({ groupId: `${id}-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: ({ message }) => Promise.resolve(void seen.push(message)) });
    try {
      return await eventually(() => Promise.resolve(enough(seen) ? seen : undefined), `records on ${topic}`);
    } finally {
      await consumer.disconnect();
    }
  }

  /** Writes the rows the negotiator would hold after these events of kill `killId`. */
  async function given(killId: string, events: (at: (s: number) => string) => VetoEvent[], notice = false): Promise<void> {
    const now = Date.now();
    const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();
    await ds.transaction(async (tx) => {
      const kills = await VetoKills.load(tx, [killId]);
      Object.assign(kills.edit(killId), { targetModule: 'nginx-test', risk: { level: 'low', score: 0.28, factors: {} } });
      const list = events(at);
      for (const e of list) kills.apply(e);
      const first = list[0];
      if (notice && first?.type === 'VetoRequested') kills.edit(killId).notice = preResurrectionNotice(first, 'nginx-test', { level: 'low', score: 0.28, factors: {} });
      await kills.save(tx);
    });
  }

  /** How many notices have gone to Smith's topic. */
  async function noticesSent(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(settings.noticeTopic)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  const ask = (killId: string, when: string, n: number, replyTo = `${id}.answers`) =>
    askSmith({ killId, at: when, requestId: `${killId}-req-${n}`, correlationId: `${killId}-cor-${n}`, noticeTopic: settings.noticeTopic, replyTo, approvedBy: 'alice' }, null, settings.veto);
  // As the negotiator's answer steps: only the configured reply topics are read.
  const timers = (replyTopics: string[] = [], withheld: string[] = []) =>
    new VetoTimers({
      dataSource: ds,
      producer,
      settings,
      pollMs: 100,
      beforeSend: (topics) => {
        replyTopics.push(...topics);
        return Promise.resolve(new Set(topics.filter((t) => settings.replyTopics.includes(t))));
      },
      onWithheld: (notices) => void withheld.push(...notices.map((n) => n.kill_id)),
    });

  it('sends a notice left unsent by a crash as soon as it starts, once, after its reply topic has a reader', async () => {
    await given('k-unsent', (at) => [ask('k-unsent', at(0), 1)], true);
    const replyTopics: string[] = [];
    const running = timers(replyTopics);
    running.start();
    try {
      const [sent] = await read(settings.noticeTopic, (all) => all.length >= 1);
      expect(sent!.key?.toString()).toBe('k-unsent');
      expect(JSON.parse(sent!.value!.toString())).toMatchObject({ message_type: 'PRE_RESURRECTION_NOTICE', request_id: 'k-unsent-req-1', correlation_id: 'k-unsent-cor-1', reply_to: `${id}.answers` });
      expect(replyTopics).toEqual([`${id}.answers`]);
      await eventually(async () => ((await ds.getRepository(VetoKill).findOneByOrFail({ killId: 'k-unsent' })).notice === null ? true : undefined), 'the notice marked sent');
    } finally {
      await running.stop();
    }
    expect(await timers().runOnce()).toBe(0);
  });

  it('never sends a notice whose reply topic is not a configured one (an exchange from before the list); the deadline settles it by default', async () => {
    // Asked while any reply_to was taken: the notice would tell Smith to answer into Medic's own log.
    await given('k-foreign', (at) => [ask('k-foreign', at(-40), 1, settings.killEventsTopic)], true);
    const withheld: string[] = [];
    expect(await timers([], withheld).runOnce()).toBe(2);
    expect(withheld).toEqual(['k-foreign']);
    expect((await ds.getRepository(VetoKill).findOneByOrFail({ killId: 'k-foreign' })).notice).toBeNull();
    const [settled] = await read(settings.killEventsTopic, (all) => all.length >= 1);
    expect(decodeEvent('kill', settled!.headers!['ce_type']!.toString(), settled!.value!)).toMatchObject({ type: 'VetoCleared', killId: 'k-foreign', basis: 'timeout_default' });
    // The one notice ever sent is k-unsent's.
    expect(await noticesSent()).toBe(1);
  });

  it("settles Smith's silence at the deadline and asks again after a defer, each once with replicas racing", async () => {
    await given('k-silent', (at) => [ask('k-silent', at(-40), 1)]);
    await given('k-deferred', (at) => [
      ask('k-deferred', at(-20), 1),
      { type: 'VetoDeferred', killId: 'k-deferred', at: at(-10), requestId: 'k-deferred-req-1', reason: 'wait', newEvidence: [], askAgainAt: at(-5), defers: 1 },
    ]);
    const fired = await Promise.all([timers().runOnce(), timers().runOnce()]);
    expect(fired[0] + fired[1]).toBe(2);

    const records = await read(settings.killEventsTopic, (all) => all.length >= 3);
    const events = records.map((m) => decodeEvent('kill', m.headers!['ce_type']!.toString(), m.value!)).filter((e: KillEvent) => e.killId !== 'k-unsent' && e.killId !== 'k-foreign');
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.killId === 'k-silent')).toMatchObject({ type: 'VetoCleared', requestId: 'k-silent-req-1', basis: 'timeout_default', approvedBy: 'alice' });
    const exchange = (await ds.getRepository(VetoKill).findOneByOrFail({ killId: 'k-deferred' })).exchange!;
    const again = nextAsk({ ...exchange, requestId: 'k-deferred-req-1', correlationId: 'k-deferred-cor-1' });
    expect(events.find((e) => e.killId === 'k-deferred')).toMatchObject({ type: 'VetoRequested', attempt: 2, ...again, replyTo: `${id}.answers`, approvedBy: 'alice' });
    expect(exchange).toMatchObject({ status: 'asked', requestId: again.requestId, defers: 1 });
    expect((await ds.getRepository(VetoKill).findOneByOrFail({ killId: 'k-silent' })).dueAt).toBeNull();
    expect(await ds.query(`SELECT kill_id FROM veto_asks WHERE request_id = $1`, [again.requestId])).toEqual([{ kill_id: 'k-deferred' }]);
    // Nothing is due any more: the new notice's deadline is ahead.
    expect(await timers().runOnce()).toBe(0);
  });

  it('asks again, once, instead of sending a notice with less than half its time left', async () => {
    // Left unsent by a crash 20 s ago: 10 s of its 30 would be left to Smith.
    await given('k-stale', (at) => [ask('k-stale', at(-20), 1)], true);
    const started = Date.now();
    expect(await timers().runOnce()).toBe(1);
    const records = await read(settings.killEventsTopic, (all) => all.some((m) => m.key?.toString() === 'k-stale'));
    const events = records.map((m) => decodeEvent('kill', m.headers!['ce_type']!.toString(), m.value!)).filter((e: KillEvent) => e.killId === 'k-stale');
    const again = nextAsk({ ...(await ds.getRepository(VetoKill).findOneByOrFail({ killId: 'k-stale' })).exchange!, requestId: 'k-stale-req-1', correlationId: 'k-stale-cor-1' });
    expect(events).toEqual([expect.objectContaining({ type: 'VetoRequested', attempt: 2, ...again, replyTo: `${id}.answers`, approvedBy: 'alice' })]);
    const asked = events[0] as KillEventOf<'VetoRequested'>;
    expect(Date.parse(asked.deadline) - started).toBeGreaterThanOrEqual(29_000);
    const row = await ds.getRepository(VetoKill).findOneByOrFail({ killId: 'k-stale' });
    // The stale notice is not sent; the new one goes once its VetoRequested is read back (the negotiation step's part).
    expect(row.notice).toBeNull();
    expect(row.exchange).toMatchObject({ status: 'asked', requestId: again.requestId, attempt: 2, defers: 0 });
    expect(await noticesSent()).toBe(1);

    // Read back late too: asked again once only, so this one goes as it is.
    await ds.transaction(async (tx) => {
      const kills = await VetoKills.load(tx, ['k-stale']);
      kills.edit('k-stale').notice = preResurrectionNotice({ ...asked, at: new Date(Date.now() - 25_000).toISOString(), deadline: new Date(Date.now() + 5_000).toISOString() }, 'nginx-test', { level: 'low', score: 0.28, factors: {} });
      await kills.save(tx);
    });
    await ds.query(`UPDATE veto_kills SET exchange = jsonb_set(exchange, '{dueAt}', to_jsonb($1::text)) WHERE kill_id = 'k-stale'`, [new Date(Date.now() + 5_000).toISOString()]);
    expect(await timers().runOnce()).toBe(1);
    const notices = await read(settings.noticeTopic, (all) => all.some((m) => m.key?.toString() === 'k-stale'));
    expect(notices.filter((m) => m.key?.toString() === 'k-stale').map((m) => (JSON.parse(m.value!.toString()) as { request_id: string }).request_id)).toEqual([again.requestId]);
    expect(await noticesSent()).toBe(2);
  });
});
