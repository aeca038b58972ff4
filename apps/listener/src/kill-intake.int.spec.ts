import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { decodeEvent } from '@medic/contracts';
import { openDatabase, type ProcessorBatch } from '@medic/eventlog';
import { createTestDatabase, killReport, smithMessage, testInfra } from '@medic/testing';
import { parseConfig } from '@medic/config';
import { parseSmithKillMessage } from '@medic/domain';
import { takeInBatches, type IntakeSettings } from './kill-intake';
import { reportSigning } from './report-signatures';
import { LISTENER_DDL, LISTENER_ENTITIES } from './listener.schema';

const settings: IntakeSettings = { source: 'medic/listener', killEventsTopic: 'kills', dlqTopic: 'dlq', limits: {}, signing: reportSigning(parseConfig('')), enrichmentWaitMs: null };
const now = () => new Date('2026-02-11T12:00:05.000Z');

function batch(partition: number, firstOffset: number, values: (string | { value: string; headers: Record<string, string> })[]): ProcessorBatch {
  const messages = values.map((v, i): KafkaMessage => {
    const { value, headers } = typeof v === 'string' ? { value: v, headers: {} } : v;
    return { key: null, value: Buffer.from(value), offset: String(firstOffset + i), timestamp: '0', attributes: 0, headers };
  });
  return { topic: 'smith', partition, messages };
}

describe('kill intake against real Postgres', () => {
  let ds: DataSource;

  beforeAll(async () => {
    const url = await createTestDatabase(testInfra().databaseUrl, `medic_intake_${randomBytes(4).toString('hex')}`);
    ds = await openDatabase({ url, schema: 'listener', entities: LISTENER_ENTITIES, ddl: LISTENER_DDL });
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  const intake = (b: ProcessorBatch) => ds.transaction(async (tx) => (await takeInBatches([b], tx, settings, now))[0]!);

  it('reports a kill once, drops an identical repeat and dead-letters a repeat with other content', async () => {
    const report = killReport();
    const same = smithMessage(report, { correlation_id: 'c-1' });
    const other = smithMessage({ ...report, severity: 'critical' }, { correlation_id: 'c-1' });
    const result = await intake(batch(0, 10, [same, same, other]));
    expect(result.verdicts.map((v) => v.kind)).toEqual(['reported', 'duplicate', 'dead_letter']);
    expect(result.verdicts[2]).toMatchObject({ code: 'conflicting_duplicate' });
    const [events, dead] = result.outputs;
    expect(events!.messages).toHaveLength(1);
    expect(events!.messages[0]!.headers!['ce_type']).toBe('medic.kill.v1.KillReported');
    expect(dead!.messages).toHaveLength(1);
    expect(dead!.messages[0]!.headers!['medic_dlq_source_offset']).toBe('12');

    // A later batch with the same report is a repeat too, even when Smith resends it under a new correlation id.
    expect((await intake(batch(1, 99, [same]))).verdicts).toEqual([{ kind: 'duplicate', killId: report.kill_id }]);
    const resent = smithMessage(report, { correlation_id: 'c-2' });
    expect((await intake(batch(1, 100, [resent]))).verdicts).toEqual([{ kind: 'duplicate', killId: report.kill_id }]);
  });

  it("knows a repeat whose metadata members come in another order, and one of a kill id claimed with the hash of the members as they came", async () => {
    const report = killReport({ metadata: { region: 'eu-west-1', labels: { team: 'payments', tier: 'gold' } } });
    const reordered = killReport({ ...report, metadata: { labels: { tier: 'gold', team: 'payments' }, region: 'eu-west-1' } });
    const result = await intake(batch(3, 10, [smithMessage(report), smithMessage(reordered)]));
    expect(result.verdicts.map((v) => v.kind)).toEqual(['reported', 'duplicate']);
    // Another value under the same names is other content still.
    const changed = killReport({ ...report, metadata: { labels: { tier: 'silver', team: 'payments' }, region: 'eu-west-1' } });
    expect((await intake(batch(3, 12, [smithMessage(changed)]))).verdicts[0]).toMatchObject({ kind: 'dead_letter', code: 'conflicting_duplicate' });

    // A kill id claimed before repeats were known by canonical JSON was stored with the hash of the payload as it came.
    const earlier = killReport({ metadata: { b: 2, a: 1 } });
    await intake(batch(3, 20, [smithMessage(earlier)]));
    const parsed = parseSmithKillMessage(Buffer.from(smithMessage(earlier)));
    if (!parsed.ok) throw new Error('the report does not parse');
    const asSent = createHash('sha256').update(JSON.stringify(parsed.value.payload)).digest('hex');
    await ds.query(`UPDATE reported_kills SET payload_sha256 = $2 WHERE kill_id = $1`, [earlier.kill_id, asSent]);
    expect((await intake(batch(3, 21, [smithMessage(earlier)]))).verdicts).toEqual([{ kind: 'duplicate', killId: earlier.kill_id }]);
    expect((await intake(batch(3, 22, [smithMessage({ ...earlier, severity: 'high' })]))).verdicts[0]).toMatchObject({ kind: 'dead_letter', code: 'conflicting_duplicate' });
  });

  it('gives a kill taken in with a SIEM configured its enrichment deadline, counted from when it is taken in', async () => {
    const withSiem = await ds.transaction(async (tx) => (await takeInBatches([batch(0, 300, [smithMessage(killReport())])], tx, { ...settings, enrichmentWaitMs: 5_500 }, now))[0]!);
    const withoutSiem = await intake(batch(0, 301, [smithMessage(killReport())]));
    const reportedOf = (r: typeof withSiem) => decodeEvent('kill', 'medic.kill.v1.KillReported', r.outputs[0]!.messages[0]!.value as Buffer);
    expect(reportedOf(withSiem)).toMatchObject({ type: 'KillReported', at: '2026-02-11T12:00:05.000Z', enrichmentDeadline: '2026-02-11T12:00:10.500Z' });
    expect(reportedOf(withoutSiem)).toMatchObject({ type: 'KillReported', enrichmentDeadline: null });
  });

  it('reports a redelivered record again (its earlier transaction never reached the log)', async () => {
    const report = killReport();
    const first = await intake(batch(2, 500, [smithMessage(report)]));
    const again = await intake(batch(2, 500, [smithMessage(report)]));
    expect(first.verdicts).toEqual([{ kind: 'reported', killId: report.kill_id, version: '1.0', ignoredFields: [] }]);
    expect(again.verdicts).toEqual([{ kind: 'redelivered', killId: report.kill_id, version: '1.0', ignoredFields: [] }]);
    expect(again.outputs[0]!.messages).toHaveLength(1);
  });

  it('lets exactly one of two concurrent batches claim a kill id', async () => {
    const report = killReport();
    const value = smithMessage(report);
    const results = await Promise.all([intake(batch(0, 1000, [value])), intake(batch(1, 2000, [value]))]);
    const kinds = results.flatMap((r) => r.verdicts.map((v) => v.kind)).sort();
    expect(kinds).toEqual(['duplicate', 'reported']);
    expect(results.reduce((n, r) => n + r.outputs[0]!.messages.length, 0)).toBe(1);
  });

  it('takes in a round of partitions together, each batch with its own outputs and one claim per kill id', async () => {
    const [a, b, shared] = [killReport(), killReport(), killReport()];
    const results = await ds.transaction((tx) =>
      takeInBatches([batch(0, 4000, [smithMessage(a), smithMessage(shared)]), batch(1, 4000, [smithMessage(shared), '{', smithMessage(b)])], tx, settings, now),
    );
    expect(results.map((r) => r.verdicts.map((v) => v.kind))).toEqual([
      ['reported', 'reported'],
      ['dead_letter', 'duplicate', 'reported'],
    ]);
    const subjects = results.map((r) => r.outputs[0]!.messages.map((m) => String(m.headers!['ce_subject'])));
    expect(subjects).toEqual([[a.kill_id, shared.kill_id], [b.kill_id]]);
    expect(results[1]!.outputs[1]!.messages[0]!.headers!['medic_dlq_source_partition']).toBe('1');
    // Redelivered together, the round is reported again as it was.
    const again = await ds.transaction((tx) => takeInBatches([batch(1, 4000, [smithMessage(shared), '{', smithMessage(b)])], tx, settings, now));
    expect(again[0]!.verdicts.map((v) => v.kind)).toEqual(['dead_letter', 'duplicate', 'redelivered']);
  });

  it('takes in a report of a later minor version that adds fields, naming them in the event, and knows it again as 1.0', async () => {
    const report = killReport();
    const newer = smithMessage({ ...report, blast_radius: 3 }, { version: '1.2', priority: 'high' });
    const result = await intake(batch(0, 6000, [newer, smithMessage(report), smithMessage({ ...report, priority: 'high' })]));
    // Refused records are named as they are read, accepted ones once their kill ids are claimed.
    expect(result.verdicts).toEqual([
      // In 1.0 an unknown field is still refused.
      { kind: 'dead_letter', code: 'invalid_field', reason: expect.stringMatching(/unknown field "priority"/) as unknown },
      { kind: 'reported', killId: report.kill_id, version: '1.2', ignoredFields: ['priority', 'payload.blast_radius'] },
      // What this Medic reads of it is the same report: a 1.0 repeat is a repeat.
      { kind: 'duplicate', killId: report.kill_id },
    ]);
    const event = decodeEvent('kill', 'medic.kill.v1.KillReported', result.outputs[0]!.messages[0]!.value as Buffer);
    expect(event).toMatchObject({ killId: report.kill_id, smithVersion: '1.2', ignoredFields: ['priority', 'payload.blast_radius'] });
  });

  it('dead-letters what fails validation, with the original bytes', async () => {
    const result = await intake(batch(0, 3000, ['{not json', smithMessage(killReport({ confidence_score: 2 }))]));
    expect(result.verdicts.map((v) => v.kind)).toEqual(['dead_letter', 'dead_letter']);
    const dead = result.outputs[1]!.messages;
    expect(dead[0]!.value!.toString()).toBe('{not json');
    expect(dead[0]!.headers!['medic_dlq_code']).toBe('malformed_json');
    expect(dead[1]!.headers!['medic_dlq_field']).toBe('payload.confidence_score');
  });

  it('takes in reports signed by a trusted key, naming it, and refuses unsigned, tampered, untrusted, half-signed and stale ones with the reason', async () => {
    const trusted = generateKeyPairSync('ed25519');
    const stranger = generateKeyPairSync('ed25519');
    const raw = trusted.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const signing = reportSigning(parseConfig(`smith:\n  signing:\n    required: true\n    max_age_seconds: 60\n    trusted_keys:\n      smith-1: "${raw}"\n`));
    const signed = (value: string, keyId = 'smith-1', key = trusted.privateKey) => ({ value, headers: { smith_key_id: keyId, smith_signature: sign(null, Buffer.from(value), key).toString('base64') } });
    const good = killReport();
    const message = smithMessage(good);
    const tampered = { ...signed(message), value: message.replace('"severity":"low"', '"severity":"critical"') };
    const old = smithMessage(killReport({ timestamp: '2026-02-11T11:58:00.000Z' }));
    const result = await ds.transaction(async (tx) =>
      (await takeInBatches([batch(2, 5000, [signed(message), smithMessage(killReport()), tampered, signed(smithMessage(killReport()), 'smith-1', stranger.privateKey), signed(smithMessage(killReport()), 'smith-9'), { value: smithMessage(killReport()), headers: { smith_key_id: 'smith-1' } }, { value: smithMessage(killReport()), headers: { smith_key_id: 'smith-1', smith_signature: 'bm90IGEgc2lnbmF0dXJl' } }, signed(old)])], tx, { ...settings, signing }, now))[0]!,
    );
    // Refused records are named as they are read, accepted ones once their kill ids are claimed.
    expect(result.verdicts).toHaveLength(8);
    expect(result.verdicts).toEqual([
      { kind: 'dead_letter', code: 'unsigned_report', reason: expect.stringMatching(/not signed, and smith.signing.required is true/) as unknown },
      { kind: 'dead_letter', code: 'invalid_signature', reason: expect.stringMatching(/does not verify with key "smith-1"/) as unknown },
      { kind: 'dead_letter', code: 'invalid_signature', reason: expect.stringMatching(/does not verify/) as unknown },
      { kind: 'dead_letter', code: 'untrusted_key', reason: expect.stringMatching(/"smith-9" is not one of smith.signing.trusted_keys/) as unknown },
      { kind: 'dead_letter', code: 'invalid_signature', reason: expect.stringMatching(/half a signature: the smith_signature header is missing/) as unknown },
      { kind: 'dead_letter', code: 'invalid_signature', reason: expect.stringMatching(/not the base64 of a 64-byte Ed25519 signature/) as unknown },
      { kind: 'dead_letter', code: 'stale_report', reason: expect.stringMatching(/125 s old when it was read .* more than the 60 s allowed/) as unknown },
      { kind: 'reported', killId: good.kill_id, version: '1.0', ignoredFields: [] },
    ]);
    // The report's bytes go to the dead letters as they came; the accepted one names its key.
    const [events, dead] = result.outputs;
    expect(dead!.messages[1]!.value!.toString()).toBe(tampered.value);
    expect(dead!.messages[1]!.headers!['smith_signature']).toBe(tampered.headers.smith_signature);
    expect(dead!.messages[1]!.headers!['medic_dlq_field']).toBe('smith_signature');
    expect(decodeEvent('kill', 'medic.kill.v1.KillReported', events!.messages[0]!.value as Buffer)).toMatchObject({ killId: good.kill_id, signedBy: 'smith-1' });
  });

  it('takes unsigned reports as before where signing is not required, and still checks a signed one', async () => {
    const trusted = generateKeyPairSync('ed25519');
    const raw = trusted.publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    const signing = reportSigning(parseConfig(`smith:\n  signing:\n    trusted_keys:\n      smith-1: "${raw}"\n`));
    const plain = killReport();
    const forged = smithMessage(killReport());
    const result = await ds.transaction(async (tx) =>
      (await takeInBatches([batch(2, 6000, [smithMessage(plain), { value: forged, headers: { smith_key_id: 'smith-1', smith_signature: sign(null, Buffer.from('other bytes'), trusted.privateKey).toString('base64') } }])], tx, { ...settings, signing }, now))[0]!,
    );
    expect(result.verdicts.map((v) => (v.kind === 'dead_letter' ? v.code : v.kind))).toEqual(['invalid_signature', 'reported']);
    expect(decodeEvent('kill', 'medic.kill.v1.KillReported', result.outputs[0]!.messages[0]!.value as Buffer)).toMatchObject({ killId: plain.kill_id, signedBy: null });
  });
});
