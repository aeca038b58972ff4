import { Client } from '@elastic/elasticsearch';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig, readSiemCa } from '@medic/config';
import { decodeEvent } from '@medic/contracts';
import { freePort, startElasticsearch, type ElasticsearchHandle } from '@medic/devstack';
import type { ContextEnriched, DecisionMade, KillEvent } from '@medic/domain';
import { derivedUuid, EOS_PRODUCER, newEnvelope, toKafkaMessage } from '@medic/eventlog';
import { ceTypeOf, eventually, killEventsOf, killReport, makeTestCertificates, readTopic, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';
import { ElasticsearchSiem } from '../../apps/enrichment/src/siem/elasticsearch-siem';
import { ensureSiemTemplates, eventDocument, indicatorDocument, writeSiemDocuments } from '../../apps/enrichment/src/siem/seed';
import { SAMPLE_EVENTS } from '../../libs/domain/test/kill-event-samples';

/*
 * SIEM enrichment against a real Elasticsearch: indicators inside the kill's
 * window raise its risk, those outside do not, a false-positive record lets
 * a kill come back on its own, hostile documents never break enrichment,
 * Medic's verdicts are written back exactly once, and with Elasticsearch
 * stopped decisions still come in time, degraded, while the breaker opens
 * and closes again.
 */
describe('SIEM enrichment on Elasticsearch', () => {
  const KILLED_AT = '2026-02-11T12:00:00.000Z';
  const day = (offset: number) => new Date(Date.parse(KILLED_AT) + offset * 86_400_000).toISOString();
  let es: ElasticsearchHandle;
  let esPort: number;
  let esDir: string;
  let client: Client;
  let medic: MedicUnderTest;
  const indices = { indicators_index: 'it-indicators*', module_events_index: 'it-events*', medic_index: 'it-medic' };
  const settings = { ...loadConfig({ env: {} }).siem.elasticsearch, ...indices };
  const f = settings.fields;

  beforeAll(async () => {
    esDir = mkdtempSync(join(tmpdir(), 'medic-enrich-es-'));
    esPort = await freePort();
    es = await startElasticsearch({ workDir: esDir, elasticsearchHttpPort: esPort, log: (l) => process.stderr.write(`[es] ${l}\n`) });
    client = new Client({ node: es.url });
    await ensureSiemTemplates(client, settings);
    // Documents as a careless feed writes them: a huge value, a score out of range, a score that is text, no value.
    const raw = (indicator: Record<string, unknown>) => ({ '@timestamp': day(-1), service: { name: 'hostile-svc' }, threat: { indicator } });
    const hostile = [
      raw({ type: 'ip', name: 'x'.repeat(100_000), score: 0.9, provider: 'feed' }),
      raw({ type: 'ip', name: '10.1.1.1', score: 7, provider: 'feed' }),
      raw({ type: 'ip', name: '10.1.1.2', score: 'very high', provider: 'feed' }),
      raw({ score: 0.5 }),
      // No time at all: in no window, and still maybe a threat.
      { service: { name: 'hostile-svc' }, threat: { indicator: { type: 'ip', name: '10.1.1.3', score: 0.95, provider: 'feed' } } },
      indicatorDocument({ module: 'hostile-svc', at: day(-1), type: 'domain', value: 'fine.example', score: 0.3, source: 'feed', tags: ['ok'] }, f),
    ];
    await writeSiemDocuments(client, settings, {
      indicators: [
        indicatorDocument({ module: 'payments-api', at: day(-1), type: 'ip', value: '203.0.113.66', score: 0.97, source: 'abuse-feed', tags: ['c2'] }, f),
        indicatorDocument({ module: 'payments-api', at: day(-3), type: 'file_hash', value: 'e3b0c442', score: 0.9, source: 'edr' }, f),
        // Outside the 30-day window of the kill, and after it: neither counts.
        indicatorDocument({ module: 'ledger-api', at: day(-45), type: 'ip', value: '203.0.113.77', score: 0.97, source: 'abuse-feed' }, f),
        indicatorDocument({ module: 'ledger-api', at: day(2), type: 'ip', value: '203.0.113.78', score: 0.97, source: 'abuse-feed' }, f),
        ...hostile,
      ],
      events: [
        ...[1, 2, 3].map((n) => eventDocument({ module: 'report-cache', at: day(-n), action: 'killed', outcome: 'success', tags: [settings.false_positive_tag] }, f)),
        // The rest of an incident an analyst marked: not kills, so not false positives of their own.
        ...[1, 2, 3, 4, 5].map((n) => eventDocument({ module: 'report-cache', at: day(-n), action: 'http_request', outcome: 'success', tags: [settings.false_positive_tag] }, f)),
      ],
    });
    medic = await startMedic({
      services: ['listener', 'decision', 'enrichment', 'gateway'],
      config: {
        mode: { current: 'semi_auto' },
        decision: { auto_approve: { enabled: true } },
        risk: { module_criticality: { modules: { 'payments-api': 0.9, 'ledger-api': 0.9 } } },
        siem: {
          enabled: true,
          endpoint: es.url,
          timeout_seconds: 3,
          retry: { max_attempts: 2, backoff_seconds: 0.2 },
          circuit_breaker: { failure_threshold: 2, recovery_timeout_seconds: 4, half_open_max_calls: 1 },
          elasticsearch: indices,
        },
      },
    });
  });
  afterAll(async () => {
    await medic?.stop();
    await client?.close();
    await es?.stop();
  });

  async function decided(overrides: Parameters<typeof killReport>[0]): Promise<{ enriched: ContextEnriched; decision: DecisionMade['decision']; events: KillEvent[] }> {
    const r = killReport({ timestamp: KILLED_AT, ...overrides });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    const events = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'DecisionMade'), `a decision for ${r.kill_id}`, 60_000);
    const enriched = events.find((e): e is ContextEnriched => e.type === 'ContextEnriched')!;
    const decision = (events.find((e) => e.type === 'DecisionMade') as DecisionMade).decision;
    return { enriched, decision, events };
  }

  it('raises the risk with high-score indicators inside the window, and denies', async () => {
    const { enriched, decision } = await decided({ target_module: 'payments-api', confidence_score: 0.8, severity: 'high' });
    expect(enriched).toMatchObject({ siemStatus: 'used', ignoredFields: [] });
    expect(enriched.threatIndicators.map((i) => i.value).sort()).toEqual(['203.0.113.66', 'e3b0c442']);
    expect(enriched.riskScore).toBeGreaterThan(0.99);
    expect(decision).toMatchObject({ outcome: 'deny', siemStatus: 'used' });
    expect(decision.reasoning.join(' ')).toMatch(/indicators that weighed most: ip 203\.0\.113\.66 \(0\.97, abuse-feed\)/);
  });

  it('gives each kill of one module the indicators of its own window, when they are asked together', async () => {
    const now = killReport({ timestamp: KILLED_AT, target_module: 'payments-api' });
    const earlier = killReport({ timestamp: day(-2), target_module: 'payments-api' });
    const producer = medic.kafka.producer();
    await producer.connect();
    await producer.send({ topic: medic.topics.smith, messages: [now, earlier].map((r) => ({ key: r.kill_id, value: smithMessage(r) })) });
    await producer.disconnect();
    const contextOf = async (killId: string) =>
      (await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'ContextEnriched'), `the context of ${killId}`, 60_000)).find((e): e is ContextEnriched => e.type === 'ContextEnriched')!;
    expect((await contextOf(now.kill_id)).threatIndicators.map((i) => i.value).sort()).toEqual(['203.0.113.66', 'e3b0c442']);
    expect((await contextOf(earlier.kill_id)).threatIndicators.map((i) => i.value)).toEqual(['e3b0c442']);
  });

  it('gives each module its own indicators and events, when kills of several modules are asked together', async () => {
    const reports = ['report-cache', 'payments-api', 'ledger-api', 'report-cache'].map((m) => killReport({ timestamp: KILLED_AT, target_module: m }));
    const producer = medic.kafka.producer();
    await producer.connect();
    await producer.send({ topic: medic.topics.smith, messages: reports.map((r) => ({ key: r.kill_id, value: smithMessage(r) })) });
    await producer.disconnect();
    const contexts = await Promise.all(
      reports.map(async (r) => (await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'ContextEnriched'), `the context of ${r.kill_id}`, 60_000)).find((e): e is ContextEnriched => e.type === 'ContextEnriched')!),
    );
    const summary = contexts.map((c) => ({ status: c.siemStatus, falsePositives: c.falsePositiveHistory, events: c.historicalBehavior['events_in_window'], indicators: c.threatIndicators.map((i) => i.value).sort() }));
    expect(summary).toEqual([
      { status: 'used', falsePositives: 3, events: 8, indicators: [] },
      { status: 'used', falsePositives: 0, events: 0, indicators: ['203.0.113.66', 'e3b0c442'] },
      { status: 'used', falsePositives: 0, events: 0, indicators: [] },
      { status: 'used', falsePositives: 3, events: 8, indicators: [] },
    ]);
  });

  it('does not count the same indicators outside the window', async () => {
    const { enriched, decision } = await decided({ target_module: 'ledger-api', confidence_score: 0.8, severity: 'high' });
    expect(enriched).toMatchObject({ siemStatus: 'used', threatIndicators: [], riskScore: 0 });
    expect(decision.outcome).not.toBe('deny');
  });

  it('auto-approves a module with a false-positive record and no indicators', async () => {
    const { enriched, decision } = await decided({ target_module: 'report-cache', confidence_score: 0.4, severity: 'low' });
    expect(enriched).toMatchObject({ siemStatus: 'used', falsePositiveHistory: 3, threatIndicators: [] });
    expect(decision).toMatchObject({ outcome: 'approve_auto', siemStatus: 'used' });
  });

  it('keeps enriching through hostile documents, naming what it left out', async () => {
    const { enriched, decision } = await decided({ target_module: 'hostile-svc', confidence_score: 0.3, severity: 'low' });
    expect(enriched.siemStatus).toBe('used');
    expect(enriched.threatIndicators.map((i) => i.value)).toEqual(['fine.example']);
    const ignored = enriched.ignoredFields.join('\n');
    expect(ignored).toMatch(/threat\.indicator\.name: 100000 characters/);
    // A score of 7 and one that is text are left out by the search, and counted.
    expect(ignored).toMatch(/indicators: 2 in the module's window with a threat\.indicator\.score missing or outside 0–1, not used/);
    expect(ignored).toMatch(/threat\.indicator\.name: missing/);
    expect(ignored).toMatch(/indicators: 1 of the module's with no @timestamp, in no window, not used/);
    expect(enriched.unusableIndicators).toBe(5);
    // What could not be weighed may be a threat: a human decides, told why.
    expect(decision.siemStatus).toBe('used');
    expect(decision.outcome).toBe('pending_review');
    expect(decision.reasoning.join(' ')).toMatch(/5 of the SIEM's indicators for the module could not be weighed/);
  });

  it('reads the real indicators when a feed on another scale would crowd them out', async () => {
    const crowd = Array.from({ length: 60 }, (_, n) => ({ '@timestamp': day(-1), service: { name: 'crowded-svc' }, threat: { indicator: { type: 'ip', name: `10.9.0.${n}`, score: 80, provider: 'percent-feed' } } }));
    await writeSiemDocuments(client, settings, {
      indicators: [...crowd, indicatorDocument({ module: 'crowded-svc', at: day(-1), type: 'ip', value: '203.0.113.99', score: 0.97, source: 'abuse-feed' }, f)],
    });
    const { enriched, decision } = await decided({ target_module: 'crowded-svc', confidence_score: 0.3, severity: 'low' });
    expect(enriched).toMatchObject({ siemStatus: 'used', unusableIndicators: 60 });
    expect(enriched.threatIndicators.map((i) => i.value)).toEqual(['203.0.113.99']);
    expect(decision.outcome).not.toBe('approve_auto');
  });

  it('takes a search that fails for no answer, never for a clean record: the decision is degraded', async () => {
    // An index of the indicators pattern where the score is text: sorting the indicators by score fails.
    await client.indices.create({ index: 'it-indicators-legacy', settings: { number_of_replicas: 0 }, mappings: { properties: { threat: { properties: { indicator: { properties: { score: { type: 'keyword' } } } } } } } });
    try {
      await client.index({ index: 'it-indicators-legacy', document: { '@timestamp': day(-1), service: { name: 'legacy-svc' }, threat: { indicator: { type: 'ip', name: '10.8.0.1', score: '0.2' } } }, refresh: 'wait_for' });
      // The module has indicators in both kinds of index, whose hits cannot be sorted together.
      await writeSiemDocuments(client, settings, { indicators: [indicatorDocument({ module: 'legacy-svc', at: day(-1), type: 'ip', value: '203.0.113.98', score: 0.9, source: 'abuse-feed' }, f)] });
      const { enriched, decision } = await decided({ target_module: 'legacy-svc', confidence_score: 0.3, severity: 'low' });
      expect(enriched.siemStatus).toBe('unavailable');
      expect(enriched.failureReason).toMatch(/^the SIEM answered only in part \(indicators: .*search failed: .+\)/);
      expect(decision).toMatchObject({ siemStatus: 'unavailable' });
      expect(decision.outcome).not.toBe('approve_auto');
    } finally {
      await client.indices.delete({ index: 'it-indicators-legacy' });
    }
  });

  it('finds a module in indices a feed made without a template, and names a field it cannot count', async () => {
    // No template covers dyn-*: Elasticsearch maps the strings as analysed text with a keyword sub-field,
    // where a term filter misses "billing-api" (split into words) and an aggregation fails.
    const dynamic = { ...settings, indicators_index: 'dyn-indicators*', module_events_index: 'dyn-events*' };
    await client.index({ index: 'dyn-indicators-1', document: indicatorDocument({ module: 'billing-api', at: day(-1), type: 'ip', value: '203.0.113.5', score: 0.95, source: 'feed' }, f), refresh: 'wait_for' });
    await client.index({ index: 'dyn-events-1', document: eventDocument({ module: 'billing-api', at: day(-2), action: 'killed', outcome: 'success', tags: [settings.false_positive_tag] }, f), refresh: 'wait_for' });
    // A field mapped as text alone, in an index of its own: nothing can count it.
    await client.indices.create({ index: 'dyn-events-2', mappings: { properties: { user: { properties: { name: { type: 'text' } } } } } });
    const siem = new ElasticsearchSiem(es.url, undefined, dynamic, 50);
    try {
      const [answer] = await siem.queryContext([{ killId: 'k-dyn', module: 'billing-api', from: day(-30), to: KILLED_AT }], 10_000);
      expect(answer!.failed).toBeNull();
      expect(answer!.indicators.map((i) => i.value)).toEqual(['203.0.113.5']);
      expect(answer!.falsePositives).toBe(1);
      expect(answer!.historicalBehavior).toMatchObject({ events_in_window: 1, actions: { killed: 1 }, outcomes: { success: 1 } });
      expect(answer!.ignored).toEqual(['module_events.user.name: user.name is analysed text in dyn-events* with no keyword sub-field, so it can be neither matched exactly nor counted (map it as keyword)']);
      // Indicators and events kept under one pattern: each is asked by its own fields.
      const shared = new ElasticsearchSiem(es.url, undefined, { ...dynamic, indicators_index: 'dyn-*', module_events_index: 'dyn-*' }, 50);
      const [both] = await shared.queryContext([{ killId: 'k-dyn', module: 'billing-api', from: day(-30), to: KILLED_AT }], 10_000).finally(() => shared.close());
      expect(both!.failed).toBeNull();
      expect(both!.historicalBehavior).toMatchObject({ actions: { killed: 1 } });
      // A module field named wrongly finds nothing, and says so rather than answering with a clean record.
      const misnamed = new ElasticsearchSiem(es.url, undefined, { ...dynamic, fields: { ...f, module: 'service.id' } }, 50);
      const [unknown] = await misnamed.queryContext([{ killId: 'k-dyn', module: 'billing-api', from: day(-30), to: KILLED_AT }], 10_000).finally(() => misnamed.close());
      expect(unknown!.failed).toBe('indicators: no index of dyn-indicators* has a field service.id (check siem.elasticsearch.fields)');
    } finally {
      await siem.close();
      await client.indices.delete({ index: ['dyn-indicators-1', 'dyn-events-1', 'dyn-events-2'] });
    }
  });

  it('reaches an HTTPS endpoint through siem.ca_file, and trusts no certificate it was not given the CA of', async () => {
    const pki = makeTestCertificates(mkdtempSync(join(tmpdir(), 'medic-siem-tls-')));
    // TLS in front of the real Elasticsearch (the dev build serves plain HTTP only), as a gateway to a SIEM would be.
    const proxy = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => {
      const upstream = httpRequest(new URL(req.url ?? '/', es.url), { method: req.method, headers: { ...req.headers, host: new URL(es.url).host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const config = parseConfig(`siem:\n  enabled: true\n  endpoint: "${url}"\n  ca_file: "${pki.ca}"\n`);
    const trusted = new ElasticsearchSiem(url, undefined, settings, 50, readSiemCa(config));
    const untrusted = new ElasticsearchSiem(url, undefined, settings, 50);
    try {
      expect(await trusted.ping(5_000)).toBe(true);
      const [answer] = await trusted.queryContext([{ killId: 'k-tls', module: 'payments-api', from: day(-30), to: KILLED_AT }], 10_000);
      expect(answer!.failed).toBeNull();
      expect(answer!.indicators.map((i) => i.value)).toContain('203.0.113.66');
      expect(await untrusted.ping(5_000)).toBe(false);
      await expect(untrusted.queryContext([{ killId: 'k-tls', module: 'payments-api', from: day(-30), to: KILLED_AT }], 10_000)).rejects.toThrow(/certificate/i);
      // A CA over plain HTTP is a mistake in the config, said at load.
      expect(() => parseConfig(`siem:\n  endpoint: "${es.url}"\n  ca_file: "${pki.ca}"\n`)).toThrow(/siem\.ca_file: is used with an https:\/\/ endpoint only/);
    } finally {
      await Promise.all([trusted.close(), untrusted.close()]);
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('writes each decision and outcome into the Medic index once, however often it is processed', async () => {
    const { decision } = await decided({ target_module: 'nginx-test' });
    const outcome = { ...SAMPLE_EVENTS.OutcomeRecorded, killId: decision.killId, decisionId: decision.decisionId, outcomeId: derivedUuid(`outcome/${decision.killId}`) };
    const recorded = (event: KillEvent) => toKafkaMessage('kill', newEnvelope('kill', event, { source: 'medic/test', subject: decision.killId, time: event.at }));
    const record = recorded(outcome);
    const producer = medic.kafka.producer(EOS_PRODUCER);
    await producer.connect();
    // The same event twice, as a redelivery would bring it; the same outcome
    // recorded again by the monitor (another event, the kill's outcome id);
    // and another verdict under that id, which the kill workflow refuses.
    await producer.send({
      topic: medic.topics.kill,
      acks: -1,
      messages: [record, record, recorded({ ...outcome, at: new Date(Date.parse(outcome.at) + 1000).toISOString() }), recorded({ ...outcome, result: 'failure' })],
    });
    await producer.disconnect();
    // No refresh asked: an analyst's search sees what Medic wrote without one.
    const count = async (category: string) => {
      const res = await client.count({ index: indices.medic_index, query: { bool: { filter: [{ term: { 'medic.kill_id': decision.killId } }, { term: { 'event.category': category } }] } } }).catch(() => ({ count: 0 }));
      return res.count;
    };
    await eventually(async () => ((await count('medic_decision')) >= 1 && (await count('medic_outcome')) >= 1 ? true : undefined), 'the decision and the outcome in the Medic index', 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count('medic_decision')).toBe(1);
    expect(await count('medic_outcome')).toBe(1);
    // The first record of the outcome stands.
    const stored = await client.get<Record<string, unknown>>({ index: indices.medic_index, id: outcome.outcomeId });
    expect(stored._source?.['event.outcome']).toBe('success');
    expect(stored._source?.['@timestamp']).toBe(outcome.at);
    // Both found by the module, as analysts look for them.
    const ofModule = await client.count({ index: indices.medic_index, query: { bool: { filter: [{ term: { 'medic.kill_id': decision.killId } }, { term: { 'service.name': 'nginx-test' } }] } } });
    expect(ofModule.count).toBe(2);
    // Made from Medic's template: ids exact-match keywords, the reasoning text.
    const mappings = await client.indices.getMapping({ index: indices.medic_index });
    const medicFields = (Object.values(mappings)[0]?.mappings.properties?.['medic'] as { properties: Record<string, { type: string }> }).properties;
    expect(medicFields['kill_id']?.type).toBe('keyword');
    expect(medicFields['reasoning']?.type).toBe('text');
    // Refreshed only while searched (search idle after 5 s), not on a fixed interval.
    const settings = Object.values(await client.indices.getSettings({ index: indices.medic_index, flat_settings: true }))[0]?.settings as Record<string, unknown>;
    expect(settings['index.search.idle.after']).toBe('5s');
    expect(settings['index.refresh_interval']).toBeUndefined();
  });

  it('decides in time, degraded, while Elasticsearch is down; the breaker opens, then closes once it is back', async () => {
    const circuit = async () => {
      const text = await (await fetch(medic.metricsUrl('enrichment'))).text();
      return Number(/^medic_siem_circuit_state\{[^}]*\} (\d)/m.exec(text)?.[1]);
    };
    expect(await circuit()).toBe(0);
    await es.stop();
    for (const module of ['report-cache', 'nginx-test']) {
      const sentAt = Date.now();
      const { enriched, decision } = await decided({ target_module: module, confidence_score: 0.2, severity: 'info' });
      expect(enriched.siemStatus).toBe('unavailable');
      expect(decision).toMatchObject({ siemStatus: 'unavailable', autoApproveEligible: false });
      expect(decision.outcome).not.toBe('approve_auto');
      expect(decision.reasoning.join(' ')).toMatch(/SIEM was unavailable/);
      // The SIEM's timeout is 3 s, the deadline 2 s after it.
      expect(Date.now() - sentAt).toBeLessThan(20_000);
    }
    expect(await circuit()).toBe(2);
    type Health = { data: { status: string; checks: Record<string, string> } };
    type Status = { data: { siem: { connection: string; circuits: { siem: string; state: string; failure_count: number }[] } } };
    expect((await medic.get<Health>('/health')).body.data).toMatchObject({ status: 'degraded', checks: { siem_connection: 'error' } });
    const open = await eventually(async () => {
      const s = (await medic.get<Status>('/status')).body.data.siem;
      return s.circuits.some((c) => c.state === 'open') ? s : undefined;
    }, 'the open breaker in /status');
    expect(open.circuits[0]).toMatchObject({ siem: 'elasticsearch', state: 'open' });

    es = await startElasticsearch({ workDir: esDir, elasticsearchHttpPort: esPort });
    // After its recovery time the breaker lets trial calls through (the write-back step retries
    // its documents too); the first that succeeds closes it.
    await eventually(async () => ((await circuit()) === 0 ? true : undefined), 'the breaker closed once Elasticsearch answers again', 90_000);
    const changes = (await readTopic(medic, medic.topics.control, (all) => all.some((m) => ceTypeOf(m).endsWith('SiemCircuitChanged')), 'circuit changes'))
      .filter((m) => ceTypeOf(m).endsWith('SiemCircuitChanged'))
      .map((m) => decodeEvent('control', ceTypeOf(m), m.value!))
      .map((e) => (e.type === 'SiemCircuitChanged' ? `${e.previous}→${e.current}` : ''));
    expect(changes.slice(0, 1)).toEqual(['closed→open']);
    expect(changes).toContain('open→half_open');
    expect(changes[changes.length - 1]).toBe('half_open→closed');
    const { enriched } = await decided({ target_module: 'payments-api', confidence_score: 0.5, severity: 'low' });
    expect(enriched.siemStatus).toBe('used');
    await eventually(async () => ((await medic.get<Status>('/status')).body.data.siem.circuits[0]?.state === 'closed' ? true : undefined), 'the closed breaker in /status');
    // (Overall health stays degraded here: the outcome injected above was dead-lettered by the workflow.)
    expect((await medic.get<Health>('/health')).body.data.checks).toMatchObject({ siem_connection: 'ok' });
  });
});
