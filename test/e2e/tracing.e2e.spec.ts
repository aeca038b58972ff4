import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KafkaMessage } from 'kafkajs';
import { eventually, killReport, readTopic, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';
import { MEDIC_VERSION } from '@medic/observability';

/*
 * OpenTelemetry traces of real services, exported over OTLP/HTTP to a
 * receiver that speaks the protocol (POST /v1/traces, OTLP JSON): one trace
 * per kill from Smith's span through the listener and the kill workflow, an
 * operator's approval one trace from the caller's span through the gateway
 * to the workflow's answer, a kill's trace going on across a timer (its
 * approval expiring), and a dead-lettered record's span marked failed.
 */

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
  links?: { traceId: string; spanId: string }[];
}
interface Exported extends OtlpSpan {
  service: string;
  /** The resource's service.version. */
  version: string;
}
interface OtlpRequest {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;
const STATUS_ERROR = 2;
const SMITH_TRACE = '0af7651916cd43dd8448eb211c80319c';
const SMITH_SPAN = 'b7ad6b7169203331';
const OPERATOR_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OPERATOR_SPAN = '00f067aa0ba902b7';
const EXPIRY_TRACE = '5bd66ef5095369c7b0d1f8f4bd33716a';
const EXPIRY_SPAN = 'fa7c0c1b2d3e4f50';
/** Long enough for the approval test to answer first, short enough to wait out in the expiry test. */
const APPROVAL_TIMEOUT_SECONDS = 10;

function attr(span: OtlpSpan, key: string): string | number | boolean | undefined {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
}

/** An OTLP/HTTP trace receiver: keeps what it is sent, answers as a collector does. */
async function otlpReceiver(): Promise<{ url: string; spans: Exported[]; requests: { contentType: string | undefined }[]; close(): Promise<void> }> {
  const spans: Exported[] = [];
  const requests: { contentType: string | undefined }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests.push({ contentType: req.headers['content-type'] });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest;
      for (const rs of body.resourceSpans) {
        const resource = (key: string) => rs.resource.attributes.find((a) => a.key === key)?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service: resource('service.name'), version: resource('service.version') });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const traceparentOf = (m: KafkaMessage) => m.headers?.traceparent?.toString() ?? '';

describe('tracing across the log (OpenTelemetry, OTLP/HTTP)', () => {
  let medic: MedicUnderTest;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    medic = await startMedic({
      services: [],
      config: { mode: { current: 'manual' }, interfaces: { approval_queue: { timeout_hours: APPROVAL_TIMEOUT_SECONDS / 3600 } } },
      apiKeys: [{ name: 'olga', role: 'operator' }],
    });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
    for (const service of ['listener', 'decision', 'gateway'] as const) await medic.start(service, otel);
  });

  afterAll(async () => {
    await medic?.stop();
    await receiver?.close();
  });

  const spansWhere = (what: string, match: (s: Exported) => boolean, count = 1) =>
    eventually(() => {
      const found = receiver.spans.filter(match);
      return Promise.resolve(found.length >= count ? found : undefined);
    }, what);

  it('makes a kill one trace: Smith’s span, the listener’s, the workflow’s, and the records name them', async () => {
    const report = killReport({ target_module: 'traced-api' });
    const producer = medic.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: medic.topics.smith,
      messages: [{ key: report.kill_id, value: smithMessage(report), headers: { traceparent: `00-${SMITH_TRACE}-${SMITH_SPAN}-01` } }],
    });
    await producer.disconnect();

    const [listener] = await spansWhere('the listener’s span of Smith’s record', (s) => s.service === 'medic-listener' && s.traceId === SMITH_TRACE);
    expect(listener).toMatchObject({ name: `process ${medic.topics.smith}`, kind: SPAN_KIND_CONSUMER, parentSpanId: SMITH_SPAN, version: MEDIC_VERSION });
    expect(attr(listener!, 'messaging.system')).toBe('kafka');
    expect(attr(listener!, 'messaging.destination.name')).toBe(medic.topics.smith);
    expect(attr(listener!, 'messaging.kafka.message.key')).toBe(report.kill_id);
    expect(attr(listener!, 'medic.step')).toBe('listener');

    const log = await readTopic(medic, medic.topics.kill, (all) => all.filter((m) => m.headers?.ce_subject?.toString() === report.kill_id).length >= 4, 'the kill’s events');
    const ofKill = log.filter((m) => m.headers?.ce_subject?.toString() === report.kill_id);
    const reported = ofKill.find((m) => m.headers?.ce_type?.toString() === 'medic.kill.v1.KillReported')!;
    expect(traceparentOf(reported)).toBe(`00-${SMITH_TRACE}-${listener!.spanId}-01`);

    // The workflow's span of KillReported is the listener's child, and what it appended names it.
    const [decision] = await spansWhere('the workflow’s span of KillReported', (s) => s.service === 'medic-decision' && s.parentSpanId === listener!.spanId);
    expect(decision).toMatchObject({ traceId: SMITH_TRACE, name: `process ${medic.topics.kill}`, kind: SPAN_KIND_CONSUMER });
    expect(attr(decision!, 'cloudevents.event_type')).toBe('medic.kill.v1.KillReported');
    const decided = ofKill.filter((m) => ['medic.kill.v1.DecisionMade', 'medic.kill.v1.ApprovalRequested'].includes(m.headers?.ce_type?.toString() ?? ''));
    expect(decided).toHaveLength(2);
    for (const m of decided) expect(traceparentOf(m)).toBe(`00-${SMITH_TRACE}-${decision!.spanId}-01`);

    // The gateway's projections join the same trace.
    await spansWhere('the gateway’s span of KillReported', (s) => s.service === 'medic-gateway' && s.parentSpanId === listener!.spanId && s.traceId === SMITH_TRACE);
    expect(receiver.requests.every((r) => r.contentType?.startsWith('application/json'))).toBe(true);
  });

  it('makes an approval one trace from the operator’s span through the gateway to the workflow’s answer', async () => {
    const report = killReport({ target_module: 'traced-queue' });
    await medic.publishRaw(smithMessage(report), report.kill_id);
    const itemId = await eventually(async () => {
      const { body } = await medic.get<{ data: { items: { item_id: string; kill_id: string }[] } }>('/queue');
      return body.data.items.find((i) => i.kill_id === report.kill_id)?.item_id;
    }, 'the queue item');

    const approved = await medic.call('POST', `/queue/${itemId}/approve`, { as: 'olga', body: { notes: 'traced' }, headers: { traceparent: `00-${OPERATOR_TRACE}-${OPERATOR_SPAN}-01` } });
    expect(approved.status).toBe(200);

    const [server] = await spansWhere('the gateway’s server span', (s) => s.service === 'medic-gateway' && s.kind === SPAN_KIND_SERVER && s.traceId === OPERATOR_TRACE);
    expect(server).toMatchObject({ parentSpanId: OPERATOR_SPAN, name: 'POST /api/v1/queue/:item_id/approve' });
    expect(attr(server!, 'http.response.status_code')).toBe(200);
    expect(attr(server!, 'http.route')).toBe('/api/v1/queue/:item_id/approve');

    const commands = await readTopic(medic, medic.topics.commands, (all) => all.some((m) => m.headers?.ce_subject?.toString() === report.kill_id), 'the approve command');
    const command = commands.find((m) => m.headers?.ce_subject?.toString() === report.kill_id)!;
    expect(traceparentOf(command)).toBe(`00-${OPERATOR_TRACE}-${server!.spanId}-01`);

    const [answer] = await spansWhere('the workflow’s span of the command', (s) => s.service === 'medic-decision' && s.parentSpanId === server!.spanId);
    expect(answer).toMatchObject({ traceId: OPERATOR_TRACE, name: `process ${medic.topics.commands}` });
    const log = await readTopic(medic, medic.topics.kill, (all) => all.some((m) => m.headers?.ce_type?.toString() === 'medic.kill.v1.ApprovalGranted' && m.headers?.ce_subject?.toString() === report.kill_id), 'ApprovalGranted');
    const granted = log.find((m) => m.headers?.ce_type?.toString() === 'medic.kill.v1.ApprovalGranted' && m.headers?.ce_subject?.toString() === report.kill_id)!;
    expect(traceparentOf(granted)).toBe(`00-${OPERATOR_TRACE}-${answer!.spanId}-01`);

    // Scrapes and probes are not traced: only the API is.
    await fetch(medic.metricsUrl('gateway'));
    expect(receiver.spans.filter((s) => s.service === 'medic-gateway' && s.kind === SPAN_KIND_SERVER && String(attr(s, 'url.path')).startsWith('/metrics'))).toEqual([]);
  });

  it('goes on with a kill’s trace when its approval expires on a timer', async () => {
    const report = killReport({ target_module: 'traced-expiry' });
    const producer = medic.kafka.producer();
    await producer.connect();
    await producer.send({ topic: medic.topics.smith, messages: [{ key: report.kill_id, value: smithMessage(report), headers: { traceparent: `00-${EXPIRY_TRACE}-${EXPIRY_SPAN}-01` } }] });
    await producer.disconnect();
    const ofKill = (all: KafkaMessage[]) => all.filter((m) => m.headers?.ce_subject?.toString() === report.kill_id);
    const typed = (all: KafkaMessage[], type: string) => ofKill(all).find((m) => m.headers?.ce_type?.toString() === type);
    const log = await readTopic(medic, medic.topics.kill, (all) => typed(all, 'medic.kill.v1.ApprovalExpired') !== undefined, 'the approval to expire', (APPROVAL_TIMEOUT_SECONDS + 30) * 1000);
    const requested = typed(log, 'medic.kill.v1.ApprovalRequested')!;
    expect(traceparentOf(requested)).toMatch(new RegExp(`^00-${EXPIRY_TRACE}-`));
    const commands = await readTopic(medic, medic.topics.commands, (all) => typed(all, 'medic.command.v1.ExpireApproval') !== undefined, 'the timer’s command');
    const command = typed(commands, 'medic.command.v1.ExpireApproval')!;

    // The timer's span: child of the span that appended ApprovalRequested (which set the timer), linked to the firing.
    const [timer] = await spansWhere('the timer’s span', (s) => s.service === 'medic-decision' && s.name === 'timer ExpireApproval' && s.traceId === EXPIRY_TRACE);
    expect(timer).toMatchObject({ kind: SPAN_KIND_PRODUCER, parentSpanId: traceparentOf(requested).split('-')[2] });
    expect(attr(timer!, 'medic.kill_id')).toBe(report.kill_id);
    expect(traceparentOf(command)).toBe(`00-${EXPIRY_TRACE}-${timer!.spanId}-01`);
    const [firing] = await spansWhere('the firing’s span', (s) => s.service === 'medic-decision' && s.name === 'fire decision.kill-timers' && s.spanId === timer!.links?.[0]?.spanId);
    expect(firing!.traceId).not.toBe(EXPIRY_TRACE);
    // And the workflow's answer, in the kill's trace still.
    const expired = typed(log, 'medic.kill.v1.ApprovalExpired')!;
    const [answer] = await spansWhere('the workflow’s span of the command', (s) => s.service === 'medic-decision' && s.parentSpanId === timer!.spanId);
    expect(traceparentOf(expired)).toBe(`00-${EXPIRY_TRACE}-${answer!.spanId}-01`);
  });

  it('marks the span of a dead-lettered record failed, with the reason', async () => {
    const producer = medic.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: medic.topics.kill,
      messages: [
        {
          key: 'poison-1',
          value: Buffer.from([0xff, 0xfe, 0x00, 0x13]),
          headers: { ce_type: 'medic.kill.v1.KillReported', ce_id: 'poison-1', ce_source: 'test', ce_specversion: '1.0', ce_time: new Date().toISOString(), ce_subject: 'poison-1', traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
        },
      ],
    });
    await producer.disconnect();
    const [failed] = await spansWhere('the workflow’s span of the poison record', (s) => s.service === 'medic-decision' && s.traceId === '1'.repeat(32));
    expect(failed!.parentSpanId).toBe('2'.repeat(16));
    expect(failed!.status?.code).toBe(STATUS_ERROR);
    expect(failed!.status?.message).toMatch(/dead-lettered \(undecodable\)/);
    expect(attr(failed!, 'medic.dead_letter.code')).toBe('undecodable');
  });
});
