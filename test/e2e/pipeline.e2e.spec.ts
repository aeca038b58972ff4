import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { eventually, killReport, readTopic, smithMessage, startMedic, type MedicUnderTest, cliEnv, medicCli } from '@medic/testing';


interface Envelope<T> {
  success: boolean;
  data: T;
  meta: { timestamp: string; request_id: string; version: string };
  errors: { code: string; message: string; field?: string }[];
}
interface Decision {
  decision_id: string;
  kill_id: string;
  outcome: string;
  risk_level: string;
  risk_score: number;
  reasoning: string[];
  risk_factors: { name: string; contribution: number; weight: number; observed: boolean; out_of_model: boolean }[];
  observe_only: boolean;
  siem_status: string;
  status: string;
}
interface Page {
  items: Decision[];
  pagination: { total: number; page: number; page_size: number };
}

/** Everything on a topic so far, read with a throwaway group (committed records only). */
function readAll(medic: MedicUnderTest, topic: string, until: (all: KafkaMessage[]) => boolean): Promise<KafkaMessage[]> {
  return readTopic(medic, topic, until, `records on ${topic}`, 60_000);
}

function typesOf(messages: KafkaMessage[]): string[] {
  return messages.map((m) => m.headers?.ce_type?.toString() ?? '');
}

async function decisionFor(medic: MedicUnderTest, killId: string, timeoutMs = 30_000): Promise<Decision> {
  return eventually(async () => {
    const res = await medic.get<Envelope<Page>>(`/decisions?page_size=200`);
    return res.body.data?.items.find((d) => d.kill_id === killId);
  }, `a decision for ${killId}`, timeoutMs);
}

describe('kill report → decision, through real Kafka and Postgres', () => {
  let medic: MedicUnderTest;

  beforeAll(async () => {
    medic = await startMedic({ services: ['listener', 'decision', 'gateway'] });
  });
  afterAll(async () => {
    await medic?.stop();
  });

  it('turns raw JSON bytes from Smith into an explained decision readable over REST', async () => {
    const report = killReport({ kill_id: 'demo-1' });
    await medic.publishRaw(smithMessage(report), report.kill_id);

    const decision = await decisionFor(medic, 'demo-1');
    expect(decision.outcome).toBe('pending_review');
    expect(decision.observe_only).toBe(true);
    // Observer mode: recorded, nothing waits on it.
    expect(decision.status).toBe('observed');
    expect(decision.siem_status).toBe('not_configured');
    expect(decision.reasoning.join(' ')).toMatch(/No SIEM context was used/);
    expect(decision.risk_factors.map((f) => f.name).sort()).toEqual(['false_positive_history', 'module_criticality', 'severity', 'siem_risk_score', 'smith_confidence']);
    // No SIEM configured: its factor is out of the model, in the documented snake_case shape.
    expect(decision.risk_factors.find((f) => f.name === 'siem_risk_score')).toMatchObject({ out_of_model: true, observed: false, weight: 0, contribution: 0 });
    for (const f of decision.risk_factors) expect(Object.keys(f).sort()).toEqual(['contribution', 'explanation', 'name', 'normalized', 'observed', 'out_of_model', 'raw', 'weight']);
    const sum = decision.risk_factors.reduce((s, f) => s + f.contribution, 0);
    expect(Math.abs(sum - decision.risk_score)).toBeLessThan(1e-3);

    const one = await medic.get<Envelope<Decision>>(`/decisions/${decision.decision_id}`);
    expect(one.status).toBe(200);
    expect(one.body.success).toBe(true);
    expect(one.body.meta.version).toBe('1.0');
    expect(one.body.data.kill_id).toBe('demo-1');
    expect(one.body.data.reasoning.length).toBeGreaterThan(2);

    // In the log: one trace for the kill, each event caused by the report, in order.
    const log = await readAll(medic, medic.topics.kill, (all) => all.filter((m) => m.headers?.ce_subject?.toString() === 'demo-1').length >= 3);
    const ofKill = log.filter((m) => m.headers?.ce_subject?.toString() === 'demo-1');
    expect(typesOf(ofKill)).toEqual(['medic.kill.v1.KillReported', 'medic.kill.v1.RiskAssessed', 'medic.kill.v1.DecisionMade']);
    const traceIds = new Set(ofKill.map((m) => m.headers?.traceparent?.toString().split('-')[1]));
    expect(traceIds.size).toBe(1);
    const reportedId = ofKill[0]!.headers?.ce_id?.toString();
    expect(ofKill.slice(1).map((m) => m.headers?.medic_causation_id?.toString())).toEqual([reportedId, reportedId]);
    expect(ofKill.every((m) => m.headers?.medic_correlation_id?.toString() === ofKill[0]!.headers?.medic_correlation_id?.toString())).toBe(true);
  });

  it('dead-letters each kind of bad input with its reason while the report behind them is still decided', async () => {
    const good = killReport();
    const bad: [string, string | Buffer][] = [
      ['malformed_json', '{"version":"1.0","message_type":"KILL_REPORT","payload":{'],
      ['missing field', smithMessage((({ severity: _s, ...rest }) => rest)(killReport()))],
      ['out-of-range score', smithMessage(killReport({ confidence_score: 1.7 }))],
      ['path traversal', smithMessage(killReport({ target_module: '../../etc/passwd' }))],
      ['oversized', smithMessage(killReport({ evidence: ['x'.repeat(70_000)] }))],
      ['dated next year', smithMessage(killReport({ timestamp: new Date(Date.now() + 400 * 86_400_000).toISOString() }))],
    ];
    for (const [, value] of bad) await medic.publishRaw(value, 'same-key');
    await medic.publishRaw(smithMessage(good), 'same-key');

    await decisionFor(medic, good.kill_id);
    const dead = await readAll(medic, medic.topics.dlq, (all) => all.length >= bad.length);
    expect(dead).toHaveLength(bad.length);
    const codes = dead.map((m) => m.headers?.medic_dlq_code?.toString());
    expect(codes).toEqual(['malformed_json', 'invalid_field', 'invalid_field', 'invalid_field', 'message_too_large', 'invalid_field']);
    const reasons = dead.map((m) => m.headers?.medic_dlq_reason?.toString() ?? '');
    expect(reasons[1]).toMatch(/severity/);
    expect(reasons[2]).toMatch(/confidence_score/);
    expect(reasons[3]).toMatch(/target_module/);
    expect(reasons[5]).toMatch(/^payload\.timestamp \S+ is 1 year 3[45] days after the report was received/);
    for (const [i, m] of dead.entries()) {
      expect(m.headers?.medic_dlq_source_topic?.toString()).toBe(medic.topics.smith);
      expect(m.headers?.medic_dlq_source_offset).toBeDefined();
      expect(m.value?.equals(Buffer.from(bad[i]![1]))).toBe(true);
    }

    // An operator lists them over REST, the last to fail first, with why and where each is kept.
    type Letter = { id: string; dlq: string; step: string; code: string; reason: string; failed_at: string; source: { topic: string; partition: number; offset: string }; dead_letter: { topic: string; partition: number; offset: string } };
    const listed = await eventually(async () => {
      const res = await medic.get<Envelope<{ items: Letter[]; pagination: { total: number } }>>('/dead-letters?dlq=kill_reports&step=listener');
      return res.body.data?.pagination.total === bad.length ? res.body.data.items : undefined;
    }, 'the dead letters on REST');
    expect(new Set(listed.map((l) => l.code))).toEqual(new Set(codes));
    const future = listed.find((l) => l.reason.startsWith('payload.timestamp'));
    const original = dead[5]!.headers!;
    expect(future).toMatchObject({
      dlq: 'kill_reports',
      step: 'listener',
      code: 'invalid_field',
      source: { topic: medic.topics.smith, partition: Number(original.medic_dlq_source_partition?.toString()), offset: original.medic_dlq_source_offset?.toString() },
      dead_letter: { topic: medic.topics.dlq },
    });
    expect(Date.parse(listed[0]!.failed_at)).toBeGreaterThanOrEqual(Date.parse(listed[listed.length - 1]!.failed_at));
    const tooLarge = await medic.get<Envelope<{ items: Letter[] }>>('/dead-letters?code=message_too_large');
    expect(tooLarge.body.data.items.map((l) => l.reason)).toEqual([expect.stringMatching(/^message is \d+ bytes, more than the 65536 allowed$/)]);
    expect((await medic.get<Envelope<{ items: Letter[] }>>('/dead-letters?dlq=internal')).body.data.items).toEqual([]);
    for (const [query, field] of [['dlq=bogus', 'dlq'], ['step=Not%20A%20Step', 'step'], ['module=x', 'module'], ['since=yesterday', 'since']] as const) {
      const refused = await medic.get<Envelope<null>>(`/dead-letters?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0]).toMatchObject({ code: 'validation_error', field });
    }
  });

  it('dead-letters a record the broker only just took whole, keeping what fits, and decides the kill behind it', async () => {
    // One byte short of what a broker takes by default (message.max.bytes 1 MiB), so its copy with Medic's headers added would not be.
    const huge = Buffer.concat([Buffer.from('{"version":"1.0","x":"'), Buffer.alloc(1_048_376, 'a'), Buffer.from('"}')]);
    const good = killReport();
    await medic.publishRaw(huge, 'huge-key');
    await medic.publishRaw(smithMessage(good), 'huge-key');
    await decisionFor(medic, good.kill_id);
    const dead = (await readAll(medic, medic.topics.dlq, (all) => all.some((m) => m.key?.toString() === 'huge-key'))).find((m) => m.key?.toString() === 'huge-key')!;
    expect(dead.headers?.medic_dlq_code?.toString()).toBe('message_too_large');
    expect(dead.headers?.medic_dlq_truncated?.toString()).toBe('value');
    expect(dead.headers?.medic_dlq_value_bytes?.toString()).toBe(String(huge.length));
    expect(dead.headers?.medic_dlq_value_sha256?.toString()).toBe(createHash('sha256').update(huge).digest('hex'));
    expect(dead.value!.length).toBeLessThan(512 * 1024);
    expect(huge.subarray(0, dead.value!.length).equals(dead.value!)).toBe(true);
  });

  it('decides a kill_id reported twice only once', async () => {
    const report = killReport();
    await medic.publishRaw(smithMessage(report), report.kill_id);
    await medic.publishRaw(smithMessage(report), report.kill_id);
    const marker = killReport();
    await medic.publishRaw(smithMessage(marker), report.kill_id);
    await decisionFor(medic, marker.kill_id);

    const log = await readAll(medic, medic.topics.kill, (all) =>
      all.some((m) => m.headers?.ce_subject?.toString() === marker.kill_id && m.headers?.ce_type?.toString() === 'medic.kill.v1.DecisionMade'),
    );
    const ofKill = log.filter((m) => m.headers?.ce_subject?.toString() === report.kill_id);
    expect(typesOf(ofKill).filter((t) => t === 'medic.kill.v1.KillReported')).toHaveLength(1);
    expect(typesOf(ofKill).filter((t) => t === 'medic.kill.v1.DecisionMade')).toHaveLength(1);
    const page = await medic.get<Envelope<Page>>(`/decisions?page_size=200`);
    expect(page.body.data.items.filter((d) => d.kill_id === report.kill_id)).toHaveLength(1);
  });

  it("decides a report of a later minor version that adds fields, and shows the operator and the auditor what it left out", async () => {
    const report = killReport();
    await medic.publishRaw(smithMessage({ ...report, blast_radius: { hosts: 4 } }, { version: '1.3', priority: 'high' }), report.kill_id);
    const decision = await decisionFor(medic, report.kill_id);
    const one = await medic.get<Envelope<Decision & { report_version: string; report_ignored_fields: string[] }>>(`/decisions/${decision.decision_id}`);
    expect(one.body.data).toMatchObject({ report_version: '1.3', report_ignored_fields: ['priority', 'payload.blast_radius'] });
    const audit = await medicCli(['replay', 'audit', report.kill_id], { env: cliEnv(medic) });
    expect(audit.stdout).toMatch(/unsigned, message version 1\.3\n/);
    expect(audit.stdout).toContain('left out, unknown to this Medic (added by version 1.3): priority, payload.blast_radius');
    const metrics = await (await fetch(medic.metricsUrl('listener'))).text();
    expect(metrics).toMatch(/medic_kill_reports_total\{verdict="reported",code="ignored_fields",service="listener"\} 1\n/);
    // Version 1.0 is read exactly: the same addition there is refused.
    const strict = killReport();
    await medic.publishRaw(smithMessage({ ...strict, blast_radius: { hosts: 4 } }), strict.kill_id);
    const dead = await readAll(medic, medic.topics.dlq, (all) => all.some((m) => m.key?.toString() === strict.kill_id));
    expect(dead.find((m) => m.key?.toString() === strict.kill_id)?.headers?.medic_dlq_reason?.toString()).toMatch(/unknown field "blast_radius"/);
  });

  it('loses and duplicates nothing when the decision service is SIGKILLed mid-stream', async () => {
    const reports = Array.from({ length: 400 }, () => killReport());
    const publishing = (async () => {
      for (const r of reports) await medic.publishRaw(smithMessage(r), r.kill_id);
    })();
    await eventually(async () => {
      const page = await medic.get<Envelope<Page>>(`/decisions?page_size=1`);
      return page.body.data.pagination.total >= 20 ? true : undefined;
    }, 'some decisions before the crash');
    medic.service('decision').kill('SIGKILL');
    await medic.service('decision').exited;
    await publishing;
    await medic.start('decision');

    const wanted = new Set(reports.map((r) => r.kill_id));
    const log = await readAll(medic, medic.topics.kill, (all) => {
      const decided = new Set(all.filter((m) => m.headers?.ce_type?.toString() === 'medic.kill.v1.DecisionMade').map((m) => m.headers?.ce_subject?.toString()));
      return [...wanted].every((k) => decided.has(k));
    });
    const decisions = log.filter((m) => m.headers?.ce_type?.toString() === 'medic.kill.v1.DecisionMade' && wanted.has(m.headers?.ce_subject?.toString() ?? ''));
    expect(decisions).toHaveLength(reports.length);
    expect(new Set(decisions.map((m) => m.headers?.ce_subject?.toString())).size).toBe(reports.length);
    const assessed = log.filter((m) => m.headers?.ce_type?.toString() === 'medic.kill.v1.RiskAssessed' && wanted.has(m.headers?.ce_subject?.toString() ?? ''));
    expect(assessed).toHaveLength(reports.length);
  });

  it('rebuilds the decisions projection from the log to exactly the live one, and audits a kill', async () => {
    const snapshot = async () => {
      const client = new Client({ connectionString: medic.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT * FROM gateway.kills ORDER BY kill_id');
        return rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    };
    // Wait until the live projection has caught up with every decision in the log.
    const live = await eventually(async () => {
      const status = await medic.get<Envelope<{ projections: { lag: number }[] }>>('/status');
      return status.body.data.projections[0]!.lag === 0 ? snapshot() : undefined;
    }, 'the live projection to catch up');
    expect(live.length).toBeGreaterThan(400);
    const env = cliEnv(medic);
    const rebuilt = await medicCli(['replay', 'rebuild', '--projection', 'gateway.kills'], { env });
    expect(rebuilt.stdout).toMatch(/rebuilt gateway\.kills: \d+ events applied/);
    expect(await snapshot()).toEqual(live);

    // Smith reports demo-1 again with other content, and a kill the listener refuses outright: the audit tells both.
    await medic.publishRaw(smithMessage(killReport({ kill_id: 'demo-1', confidence_score: 0.9 })), 'demo-1');
    await medic.publishRaw(smithMessage(killReport({ kill_id: 'refused-1', target_module: '../../etc/passwd' })), 'refused-1');
    await readAll(medic, medic.topics.dlq, (all) => ['demo-1', 'refused-1'].every((key) => all.some((m) => m.key?.toString() === key)));

    const audit = await medicCli(['replay', 'audit', 'demo-1'], { env });
    expect(audit.stdout).toMatch(/KillReported/);
    expect(audit.stdout).toMatch(/Smith's report: killed at \S+, correlation \S+, answers on \S+, unsigned/);
    expect(audit.stdout).toMatch(/RiskAssessed/);
    expect(audit.stdout).toMatch(/DecisionMade .*\(decision [0-9a-f-]{36}\)/);
    expect(audit.stdout).toMatch(/No SIEM context was used/);
    expect(audit.stdout).toMatch(/Dead-lettered records about kill demo-1 \(1; not acted on\):\n\S+ {2}listener: conflicting_duplicate: kill_id demo-1 was already reported with different content/);
    const refused = await medicCli(['replay', 'audit', 'refused-1'], { env });
    expect(refused.stdout).toMatch(/^No event of kill refused-1 is on the log: Medic did not take it in/);
    expect(refused.stdout).toMatch(/listener: invalid_field: payload.target_module "..\/..\/etc\/passwd" contains a path separator +\[from \S+\/\d+@\d+, kept at \S+\/\d+@\d+\]/);

    await expect(medicCli(['replay', 'audit', 'no-such-kill'], { env })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/no events for kill no-such-kill .*, and no dead letter or command about it/) as unknown });
    await expect(medicCli(['replay', 'audit', 'no such kill'], { env })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/"no such kill" is not a valid kill_id: it must start with an ASCII letter or digit/) as unknown });

    // Brokers without Medic's log (here: a kill topic that was never made) are named at once, not after kafkajs's retries.
    const elsewhere = join(medic.logDir, 'no-log.yaml');
    writeFileSync(elsewhere, readFileSync(env.MEDIC_CONFIG_PATH!, 'utf8').replace(medic.topics.kill, `${medic.topics.kill}.never-made`));
    for (const command of [['replay', 'audit', 'demo-1'], ['replay', 'recalibrate'], ['replay', 'rebuild'], ['replay', 'rebuild', '--projection', 'gateway.kills']]) {
      const started = Date.now();
      await expect(medicCli(command, { env: { ...env, MEDIC_CONFIG_PATH: elsewhere } })).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^medic: topic \S+\.never-made does not exist at \S+: there is no Medic event log there/) as unknown,
      });
      // Reading a topic that is not there, kafkajs would retry for about twenty seconds; a CLI start is a few seconds on a busy host.
      expect(Date.now() - started).toBeLessThan(8_000);
    }
  });
});
