import { endSpan, formatTraceparent, inSpan, parseTraceparent, startSpan, startTracing, traceForAppend, traceOf, TracingConfigError, tracingSettings } from './tracing';

const SMITH = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracingSettings: the standard OTEL_* variables', () => {
  it('exports nothing and names the service medic-<service> when no endpoint is set', () => {
    expect(tracingSettings('decision', {})).toEqual({ serviceName: 'medic-decision', export: false, sampler: 'parentbased_always_on', ratio: 1, exportDelayMs: 5000 });
  });

  it('exports over OTLP once an endpoint is set, for traces or for every signal', () => {
    expect(tracingSettings('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).export).toBe(true);
    expect(tracingSettings('gateway', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).export).toBe(true);
    expect(tracingSettings('gateway', { OTEL_TRACES_EXPORTER: 'otlp' }).export).toBe(true);
  });

  it('exports nothing when told so, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettings('listener', { ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).export).toBe(false);
    expect(tracingSettings('listener', { ...endpoint, OTEL_SDK_DISABLED: 'true' }).export).toBe(false);
    expect(tracingSettings('listener', { ...endpoint, OTEL_SDK_DISABLED: 'false' }).export).toBe(true);
  });

  it('takes the service name, sampler and ratio given', () => {
    const env = { OTEL_SERVICE_NAME: 'medic-eu-listener', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_BSP_SCHEDULE_DELAY: '200' };
    expect(tracingSettings('listener', env)).toEqual({ serviceName: 'medic-eu-listener', export: false, sampler: 'parentbased_traceidratio', ratio: 0.25, exportDelayMs: 200 });
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, /OTEL_TRACES_EXPORTER: 'jaeger' is not supported/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' is not supported/],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }, /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http\/protobuf'/],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, /OTEL_TRACES_SAMPLER: 'sometimes' is not one of always_on/],
    [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG: '1.5' is not a ratio/],
    [{ OTEL_TRACES_SAMPLER_ARG: 'half' }, /OTEL_TRACES_SAMPLER_ARG: 'half'/],
    [{ OTEL_SDK_DISABLED: 'yes' }, /OTEL_SDK_DISABLED: 'yes' is not true or false/],
    [{ OTEL_BSP_SCHEDULE_DELAY: '-5' }, /OTEL_BSP_SCHEDULE_DELAY: '-5' is not a whole number/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => tracingSettings('decision', env)).toThrow(TracingConfigError);
    expect(() => tracingSettings('decision', env)).toThrow(message);
  });

  it('lets a protocol it cannot speak pass when nothing is exported', () => {
    expect(tracingSettings('decision', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).export).toBe(false);
  });
});

describe('W3C trace context', () => {
  it('reads and writes traceparent values', () => {
    expect(parseTraceparent(SMITH)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true });
    expect(formatTraceparent(parseTraceparent(SMITH)!)).toBe(SMITH);
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled).toBe(false);
  });

  it.each(['', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', `00-${'g'.repeat(32)}-00f067aa0ba902b7-01`])(
    'names no trace for %j',
    (value) => {
      expect(parseTraceparent(value)).toBeNull();
    },
  );

  it('starts a span in the trace of the traceparent given, with a span id of its own', () => {
    const span = startSpan('process medic.kill.events', { parent: SMITH });
    const ctx = traceOf(span);
    endSpan(span);
    expect(ctx.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ctx.spanId).not.toBe('00f067aa0ba902b7');
  });

  it('starts a new trace when the parent named is none or malformed', () => {
    const a = traceOf(startSpan('x', { parent: null }));
    const b = traceOf(startSpan('x', { parent: 'not-a-traceparent' }));
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.traceId).not.toBe(a.traceId);
  });
});

describe('traceForAppend: the span an appended event names', () => {
  const cause = parseTraceparent(SMITH)!;
  // As a service sets it up, exporting nothing: the active span is followed through async calls.
  beforeAll(() => startTracing('unit', {}));

  it('is the cause’s own span outside any span', () => {
    expect(traceForAppend(cause, 'medic.kill.v1.DecisionMade')).toEqual(cause);
  });

  it('is the active span when it is in the cause’s trace, or when there is no cause', async () => {
    const inTrace = await inSpan('act', { parent: SMITH }, (span) => Promise.resolve({ span: traceOf(span), appended: traceForAppend(cause, 'x') }));
    expect(inTrace.appended).toEqual(inTrace.span);
    const noCause = await inSpan('POST /api/v1/queue/:item_id/approve', { parent: null }, (span) => Promise.resolve({ span: traceOf(span), appended: traceForAppend(null, 'x') }));
    expect(noCause.appended).toEqual(noCause.span);
  });

  it('keeps the cause’s trace when the active span belongs to another', async () => {
    const appended = await inSpan('fire timers', { parent: null }, () => Promise.resolve(traceForAppend(cause, 'x')));
    expect(appended).toEqual(cause);
  });

  it('is a new span of its own with no cause and no active span', () => {
    const a = traceForAppend(null, 'medic.control.v1.ThresholdsUpdated');
    const b = traceForAppend(null, 'medic.control.v1.ThresholdsUpdated');
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.traceId).not.toBe(a.traceId);
  });
});
