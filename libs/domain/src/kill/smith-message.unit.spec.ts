import { DEFAULT_KILL_REPORT_LIMITS, isValidModuleName, parseSmithKillMessage, type ValidationFailure } from '@medic/domain';
import { aReport } from '../../test/domain-fixtures';

/* Smith ingress (spec 4.1 envelope, spec 2.1 payload): what passes, and what is refused and why. */

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

// The reboot plan's demo payload, verbatim.
const DEMO_PAYLOAD = {
  kill_id: 'demo-1',
  timestamp: '2026-02-11T12:00:00Z',
  target_module: 'nginx-test',
  target_instance_id: 'inst-001',
  kill_reason: 'anomaly_behavior',
  severity: 'low',
  confidence_score: 0.4,
  evidence: ['unusual_traffic'],
  dependencies: [],
  source_agent: 'smith',
};

const envelope = (payload: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: '1.0',
  message_type: 'KILL_REPORT',
  payload,
  correlation_id: '6f1c2a9e-0b7d-4e43-9a51-3c8f2d7e1b04',
  reply_to: 'medic.responses',
  ...extra,
});

const withPayload = (changes: Record<string, unknown>): Uint8Array => encode(envelope({ ...DEMO_PAYLOAD, ...changes }));

const withoutField = (field: string): Uint8Array => {
  const payload: Record<string, unknown> = { ...DEMO_PAYLOAD };
  delete payload[field];
  return encode(envelope(payload));
};

function failureOf(raw: Uint8Array, limits = {}, receivedAt: string | null = null): ValidationFailure {
  const result = parseSmithKillMessage(raw, limits, receivedAt);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('parseSmithKillMessage: valid messages', () => {
  it('accepts the demo-1 kill of the reboot plan in the spec 4.1 envelope', () => {
    const result = parseSmithKillMessage(encode(envelope(DEMO_PAYLOAD)));
    expect(result).toEqual({
      ok: true,
      value: {
        version: '1.0',
        messageType: 'KILL_REPORT',
        correlationId: '6f1c2a9e-0b7d-4e43-9a51-3c8f2d7e1b04',
        replyTo: 'medic.responses',
        payload: aReport(),
        ignoredFields: [],
      },
    });
  });

  it('accepts the spec 7.3 fixture with a UUID-free id, dependencies and metadata', () => {
    const result = parseSmithKillMessage(
      withPayload({
        kill_id: 'test-kill-001',
        target_module: 'test-service',
        target_instance_id: 'instance-001',
        severity: 'medium',
        confidence_score: 0.75,
        evidence: ['log-entry-001', 'metric-anomaly-002'],
        dependencies: ['downstream-a', 'downstream-b'],
        source_agent: 'smith-01',
        metadata: { region: 'us-east-1' },
      }),
    );
    expect(result.ok && result.value.payload).toMatchObject({
      killId: 'test-kill-001',
      dependencies: ['downstream-a', 'downstream-b'],
      metadata: { region: 'us-east-1' },
    });
  });

  it.each([
    ['a UUID', '9b2f4c1e-7a3d-4e8b-b6c5-0d1e2f3a4b5c'],
    ['colons and dots', 'kill:2026.02:17'],
    ['128 characters', 'k'.repeat(128)],
  ])('accepts a kill_id made of %s', (_, killId) => {
    expect(parseSmithKillMessage(withPayload({ kill_id: killId })).ok).toBe(true);
  });

  it('defaults evidence, dependencies and metadata when absent, and null correlation_id and reply_to', () => {
    const payload: Record<string, unknown> = { ...DEMO_PAYLOAD };
    delete payload.evidence;
    delete payload.dependencies;
    const result = parseSmithKillMessage(encode({ version: '1.0', message_type: 'KILL_REPORT', payload }));
    expect(result.ok && result.value).toMatchObject({
      correlationId: null,
      replyTo: null,
      payload: { evidence: [], dependencies: [], metadata: {} },
    });
  });

  it.each([
    ['2026-02-11T14:00:00+02:00', '2026-02-11T12:00:00.000Z'],
    ['2026-02-11T07:30:00-0430', '2026-02-11T12:00:00.000Z'],
    ['2026-02-11T12:00:00.123456Z', '2026-02-11T12:00:00.123Z'],
  ])('normalises timestamp %s to UTC %s', (timestamp, utc) => {
    const result = parseSmithKillMessage(withPayload({ timestamp }));
    expect(result.ok && result.value.payload.timestamp).toBe(utc);
  });

  it('accepts a later 1.x version', () => {
    expect(parseSmithKillMessage(encode(envelope(DEMO_PAYLOAD, { version: '1.7' }))).ok).toBe(true);
  });

  it('reads a later 1.x minor version that adds fields: the report as known, the added fields named and left out', () => {
    const payload = { ...DEMO_PAYLOAD, blast_radius: { hosts: 3 }, priority: 'urgent' };
    const result = parseSmithKillMessage(encode(envelope(payload, { version: '1.2', trace_hint: 'x' })));
    if (!result.ok) throw new Error(result.error.reason);
    expect(result.value).toMatchObject({ version: '1.2', ignoredFields: ['trace_hint', 'payload.blast_radius', 'payload.priority'] });
    expect(result.value.payload).toEqual(aReport());
  });

  it('still checks every known field of a later minor version strictly', () => {
    const payload = { ...DEMO_PAYLOAD, priority: 'urgent', confidence_score: 1.5 };
    expect(failureOf(encode(envelope(payload, { version: '1.3' })))).toMatchObject({ code: 'invalid_field', field: 'payload.confidence_score' });
    expect(failureOf(encode(envelope(DEMO_PAYLOAD, { version: '1.3', reply_to: 'elsewhere' })))).toMatchObject({ code: 'invalid_envelope', field: 'reply_to' });
  });

  it('names hostile added fields printably, shortened, and past sixteen only counts them', () => {
    const added = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`extra_${i}`, i]));
    const payload = { ...DEMO_PAYLOAD, ['x'.repeat(200)]: 1, 'bell\u0007\ud800': 2, ...added };
    const result = parseSmithKillMessage(encode(envelope(payload, { version: '1.10' })));
    if (!result.ok) throw new Error(result.error.reason);
    const names = result.value.ignoredFields;
    expect(names).toHaveLength(17);
    expect(names[0]).toBe(`payload.${'x'.repeat(56)}…`);
    expect(names[1]).toBe('payload.bell\\u0007\\ud800');
    expect(names[16]).toBe('(6 more)');
  });

  it('accepts metadata nested exactly 8 levels deep', () => {
    const deep = { l2: { l3: { l4: { l5: { l6: { l7: { l8: 'leaf' } } } } } } };
    expect(parseSmithKillMessage(withPayload({ metadata: deep })).ok).toBe(true);
  });
});

describe('parseSmithKillMessage: refused messages', () => {
  it('refuses a message over the size limit without parsing it', () => {
    const huge = new Uint8Array(DEFAULT_KILL_REPORT_LIMITS.maxMessageBytes + 1); // zeros: not even JSON
    expect(failureOf(huge)).toEqual({
      code: 'message_too_large',
      field: null,
      reason: 'message is 65537 bytes, more than the 65536 allowed',
    });
  });

  it('takes a smaller size limit from the caller, ignoring limits given as undefined', () => {
    expect(failureOf(encode(envelope(DEMO_PAYLOAD)), { maxMessageBytes: 100 }).code).toBe('message_too_large');
    expect(parseSmithKillMessage(encode(envelope(DEMO_PAYLOAD)), { maxMessageBytes: undefined }).ok).toBe(true);
  });

  it.each([
    ['truncated JSON', encode('{"version":"1.0","payload":')],
    ['not JSON at all', encode('KILL demo-1 nginx-test')],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
  ])('reports %s as malformed_json', (_, raw) => {
    expect(failureOf(raw)).toMatchObject({ code: 'malformed_json', field: null });
  });

  it('refuses a member named twice in one object rather than keep either value, naming where', () => {
    const text = JSON.stringify(envelope(DEMO_PAYLOAD)).replace('"kill_id":"demo-1"', '"kill_id":"demo-1","kill_id":"demo-2"');
    expect(JSON.parse(text).payload.kill_id).toBe('demo-2');
    expect(failureOf(encode(text))).toEqual({
      code: 'malformed_json',
      field: 'payload.kill_id',
      reason: 'message is ambiguous JSON: the member "kill_id" appears twice in one object (at payload.kill_id); each name may appear once',
    });
    // Spelt differently, the same name: JSON decodes both to "version".
    const escaped = JSON.stringify(envelope(DEMO_PAYLOAD)).replace('{"version":"1.0"', '{"version":"1.0","\\u0076ersion":"1.1"');
    expect(failureOf(encode(escaped))).toMatchObject({ code: 'malformed_json', field: 'version' });
    // One name in two objects is two members.
    expect(parseSmithKillMessage(withPayload({ metadata: { a: { id: 1 }, b: { id: 2 } } })).ok).toBe(true);
  });

  it("names the parser's fault without repeating the control characters it quotes", () => {
    const failure = failureOf(new Uint8Array([0x00, 0x01, 0x1b, 0x0a]));
    expect(failure.code).toBe('malformed_json');
    expect(failure.reason).toMatch(/^message is not valid JSON: .*\\u0000/);
    expect([...failure.reason].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });

  it.each([
    ['an array', [], null],
    ['a wrong message_type', envelope(DEMO_PAYLOAD, { message_type: 'VETO' }), 'message_type'],
    ['a missing message_type', { version: '1.0', payload: DEMO_PAYLOAD }, 'message_type'],
    ['an unsupported major version', envelope(DEMO_PAYLOAD, { version: '2.0' }), 'version'],
    ['a numeric version', envelope(DEMO_PAYLOAD, { version: 1 }), 'version'],
    ['a missing payload', { version: '1.0', message_type: 'KILL_REPORT' }, 'payload'],
    ['a string payload', envelope('demo-1'), 'payload'],
    ['a numeric correlation_id', envelope(DEMO_PAYLOAD, { correlation_id: 42 }), 'correlation_id'],
    ['a correlation_id with half a character', envelope(DEMO_PAYLOAD, { correlation_id: 'c-\ud800' }), 'correlation_id'],
    ['a reply_to that is no topic name', envelope(DEMO_PAYLOAD, { reply_to: '../responses' }), 'reply_to'],
    ['an unknown envelope field', envelope(DEMO_PAYLOAD, { priority: 'high' }), 'priority'],
  ])('refuses %s as invalid_envelope', (_, message, field) => {
    expect(failureOf(encode(message))).toMatchObject({ code: 'invalid_envelope', field });
  });

  it.each(['medic.kill.events', '__consumer_offsets', 'smith.answers.new'])('refuses a reply_to %j that is not one of the configured reply topics, naming them', (topic) => {
    expect(failureOf(encode(envelope(DEMO_PAYLOAD, { reply_to: topic })))).toEqual({
      code: 'invalid_envelope',
      field: 'reply_to',
      reason: `reply_to "${topic}" is not a topic Medic reads Smith's answers from; allowed: "medic.responses" (smith.veto_protocol.reply_topics)`,
    });
  });

  it('takes the reply topics from the caller: another is accepted, the default then refused', () => {
    const replyTopics = ['smith.answers', 'medic.responses.eu'];
    const named = (topic: string) => encode(envelope(DEMO_PAYLOAD, { reply_to: topic }));
    const taken = parseSmithKillMessage(named('medic.responses.eu'), { replyTopics });
    expect(taken.ok && taken.value.replyTo).toBe('medic.responses.eu');
    expect(failureOf(named('medic.responses'), { replyTopics }).reason).toBe(
      `reply_to "medic.responses" is not a topic Medic reads Smith's answers from; allowed: "smith.answers", "medic.responses.eu" (smith.veto_protocol.reply_topics)`,
    );
    expect(parseSmithKillMessage(encode(envelope(DEMO_PAYLOAD, { reply_to: null })), { replyTopics: [] }).ok).toBe(true);
  });

  it.each(['kill_id', 'timestamp', 'target_module', 'target_instance_id', 'kill_reason', 'severity', 'confidence_score', 'source_agent'])(
    'refuses a payload without %s',
    (field) => {
      expect(failureOf(withoutField(field))).toEqual({
        code: 'invalid_field',
        field: `payload.${field}`,
        reason: `payload.${field} is required but missing`,
      });
    },
  );

  it.each([
    [1.5, 'payload.confidence_score is 1.5, outside the range 0 to 1'],
    [-0.1, 'payload.confidence_score is -0.1, outside the range 0 to 1'],
    ['0.5', 'payload.confidence_score must be a finite number, got a string'],
    [null, 'payload.confidence_score must be a finite number, got null'],
  ])('refuses confidence_score %p', (score, reason) => {
    expect(failureOf(withPayload({ confidence_score: score }))).toEqual({ code: 'invalid_field', field: 'payload.confidence_score', reason });
  });

  it('refuses a confidence score that overflows to Infinity', () => {
    const raw = encode(JSON.stringify(envelope(DEMO_PAYLOAD)).replace('"confidence_score":0.4', '"confidence_score":1e400'));
    expect(failureOf(raw)).toEqual({
      code: 'invalid_field',
      field: 'payload.confidence_score',
      reason: "payload.confidence_score must be a finite number, got Infinity (a number too large for JSON's range)",
    });
  });

  it.each([
    ['../etc/passwd', 'contains a path separator'],
    ['a/b', 'contains a path separator'],
    ['a\\b', 'contains a path separator'],
    ['..', 'contains ".."'],
    ['nginx..test', 'contains ".."'],
    ['nginx\u0000test', 'contains a null byte'],
    ['.hidden', 'starts with "." or "-"'],
    ['-rf', 'starts with "." or "-"'],
    ['', 'is empty'],
    ['nginx test', 'must contain only ASCII letters and digits, ".", "_" and "-"'],
    ['x'.repeat(254), 'is longer than 253 characters'],
  ])('refuses target_module %j: %s', (name, problem) => {
    const failure = failureOf(withPayload({ target_module: name }));
    expect(failure).toMatchObject({ code: 'invalid_field', field: 'payload.target_module' });
    expect(failure.reason).toContain(problem);
  });

  it.each(['target_instance_id', 'source_agent'])('guards %s against path tricks too', (field) => {
    expect(failureOf(withPayload({ [field]: '../../root' })).field).toBe(`payload.${field}`);
  });

  it('names the offending dependency by index', () => {
    expect(failureOf(withPayload({ dependencies: ['db', '../etc/passwd'] })).field).toBe('payload.dependencies[1]');
  });

  it.each([
    ['kill_reason', 'Threat_Detected'],
    ['kill_reason', 'sabotage'],
    ['severity', 'HIGH'],
    ['severity', 'catastrophic'],
  ])('refuses %s %j: enums are exact lowercase values', (field, value) => {
    const failure = failureOf(withPayload({ [field]: value }));
    expect(failure).toMatchObject({ code: 'invalid_field', field: `payload.${field}` });
    expect(failure.reason).toContain('is not one of');
  });

  it('refuses an unknown payload field in version 1.0, and an unknown field beside an unsupported version', () => {
    expect(failureOf(withPayload({ priority: 'urgent' }))).toEqual({
      code: 'invalid_field',
      field: 'payload.priority',
      reason: 'payload has an unknown field "priority"; a kill report (spec 2.1) has no such field',
    });
    expect(failureOf(encode(envelope(DEMO_PAYLOAD, { version: '2.1', priority: 'high' })))).toMatchObject({ code: 'invalid_envelope', field: 'priority' });
    expect(failureOf(encode(envelope({ ...DEMO_PAYLOAD, priority: 'urgent' }, { version: '1.01' })))).toMatchObject({ code: 'invalid_envelope', field: 'version' });
  });

  it.each(['yesterday', '2026-02-11T12:00:00', '2026-02-11', '2026-02-30T12:00:00Z', '2026-13-01T00:00:00Z', '2026-02-11T25:00:00Z', '2026-02-11T12:00:00+25:00'])(
    'refuses timestamp %j',
    (timestamp) => {
      const failure = failureOf(withPayload({ timestamp }));
      expect(failure).toMatchObject({ code: 'invalid_field', field: 'payload.timestamp' });
      expect(failure.reason).toContain('is not an ISO-8601 date-time with a timezone');
    },
  );

  it.each([
    ['0000-06-01T00:00:00Z', '0000-06-01T00:00:00.000Z'],
    ['0000-01-01T00:00:00+01:00', '-000001-12-31T23:00:00.000Z'],
    ['1969-12-31T23:59:59Z', '1969-12-31T23:59:59.000Z'],
    ['9999-12-31T23:00:00-05:00', '+010000-01-01T04:00:00.000Z'],
  ])('refuses timestamp %j, outside the years 1970 to 9999 (%s)', (timestamp, utc) => {
    expect(failureOf(withPayload({ timestamp }))).toEqual({
      code: 'invalid_field',
      field: 'payload.timestamp',
      reason: `payload.timestamp "${timestamp}" is ${utc} in UTC, outside the years 1970 to 9999`,
    });
  });

  it('accepts the first instant of 1970 and the last of 9999', () => {
    expect(parseSmithKillMessage(withPayload({ timestamp: '1970-01-01T00:00:00Z' })).ok).toBe(true);
    expect(parseSmithKillMessage(withPayload({ timestamp: '9999-12-31T23:59:59.999Z' })).ok).toBe(true);
  });

  it('refuses an empty message, saying it is empty rather than quoting a parser', () => {
    expect(failureOf(new Uint8Array(0))).toEqual({ code: 'malformed_json', field: null, reason: 'message is empty: a record with no value (a tombstone, say) holds no report' });
  });

  describe('a kill dated after the report was received', () => {
    const receivedAt = '2026-02-11T12:00:00.000Z';

    it.each([
      ['2026-02-11T12:05:00Z', 'exactly the skew allowed ahead'],
      ['2026-02-11T12:03:00+00:00', 'within the skew'],
      ['2020-01-01T00:00:00Z', 'long before'],
    ])('accepts %s (%s)', (timestamp) => {
      const result = parseSmithKillMessage(withPayload({ timestamp }), {}, receivedAt);
      expect(result.ok).toBe(true);
    });

    it.each([
      ['2026-02-11T12:05:01Z', '5 minutes 1 second', 'a second past the default skew: not read as the limit itself'],
      ['2026-02-11T14:00:00+01:00', '1 hour', 'an hour ahead, in another zone'],
      ['2099-02-11T12:00:00Z', '73 years 18 days', 'decades ahead'],
    ])('refuses %s, %s ahead (%s)', (timestamp, span) => {
      const failure = failureOf(withPayload({ timestamp }), {}, receivedAt);
      expect(failure).toMatchObject({ code: 'invalid_field', field: 'payload.timestamp' });
      expect(failure.reason).toContain(`after the report was received (${receivedAt})`);
      expect(failure.reason).toContain('at most 5 minutes ahead');
      expect(failure.reason).toContain(`is ${span} after`);
    });

    it('takes the skew allowed from the limits', () => {
      const failure = failureOf(withPayload({ timestamp: '2026-02-11T12:00:02Z' }), { maxTimestampAheadMs: 1000 }, receivedAt);
      expect(failure.reason).toBe(`payload.timestamp 2026-02-11T12:00:02.000Z is 2 seconds after the report was received (${receivedAt}); a kill is reported after it happens, and a clock may run at most 1 second ahead`);
    });

    it('is not checked without the time of receipt', () => {
      expect(parseSmithKillMessage(withPayload({ timestamp: '2099-02-11T12:00:00Z' })).ok).toBe(true);
    });
  });

  it.each([
    ['../x', 'payload.kill_id'],
    ['k'.repeat(129), 'payload.kill_id'],
    ['', 'payload.kill_id'],
  ])('refuses kill_id %j', (killId, field) => {
    expect(failureOf(withPayload({ kill_id: killId })).field).toBe(field);
  });

  it.each([
    ['too many items', { evidence: Array.from({ length: 101 }, (_, i) => `e-${i}`) }, 'payload.evidence'],
    ['an item too long', { evidence: ['ok', 'e'.repeat(1025)] }, 'payload.evidence[1]'],
    ['a null byte', { evidence: ['log\u0000entry'] }, 'payload.evidence[0]'],
    ['a lone surrogate', { evidence: ['ok', 'half \ud800 of a pair'] }, 'payload.evidence[1]'],
    ['a non-string item', { evidence: [42] }, 'payload.evidence[0]'],
    ['a string instead of a list', { evidence: 'unusual_traffic' }, 'payload.evidence'],
    ['too many dependencies', { dependencies: Array.from({ length: 101 }, (_, i) => `dep-${i}`) }, 'payload.dependencies'],
  ])('refuses evidence or dependencies with %s', (_, changes, field) => {
    expect(failureOf(withPayload(changes))).toMatchObject({ code: 'invalid_field', field });
  });

  it.each([
    ['an array', ['region'], 'payload.metadata'],
    ['nine levels', { l2: { l3: { l4: { l5: { l6: { l7: { l8: { l9: {} } } } } } } } }, 'payload.metadata.l2.l3.l4.l5.l6.l7.l8.l9'],
    ['201 keys', Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`k${i}`, i])), 'payload.metadata'],
    ['201 keys spread over nested objects', { a: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i])) }, 'payload.metadata'],
    ['a null byte in a value', { a: 'x\u0000y' }, 'payload.metadata.a'],
    ['a null byte deep in a list', { a: { b: ['ok', 'x\u0000'] } }, 'payload.metadata.a.b[1]'],
    ['a null byte in a key', { 'a\u0000b': 1 }, 'payload.metadata["a\\u0000b"]'],
    ['a lone surrogate in a value', { a: '\udc00 trailing half' }, 'payload.metadata.a'],
    ['a lone surrogate in a key', { ['k\ud83d']: 'v' }, 'payload.metadata["k\\ud83d"]'],
  ])('refuses metadata with %s', (_, metadata, field) => {
    expect(failureOf(withPayload({ metadata }))).toMatchObject({ code: 'invalid_field', field });
  });

  it('keeps text that can be stored as it came: a whole surrogate pair, tabs, newlines, any script', () => {
    const metadata = { emoji: 'up \ud83d\ude80', log: 'line 1\n\tline 2', 名前: 'ünïcödé' };
    const parsed = parseSmithKillMessage(withPayload({ metadata, evidence: ['rocket \ud83d\ude80'] }));
    expect(parsed).toMatchObject({ ok: true, value: { payload: { metadata, evidence: ['rocket \ud83d\ude80'] } } });
  });

  it('refuses a "__proto__" key in metadata', () => {
    const raw = encode(JSON.stringify(envelope(DEMO_PAYLOAD)).replace('"source_agent":"smith"', '"source_agent":"smith","metadata":{"__proto__":{"admin":true}}'));
    expect(failureOf(raw)).toMatchObject({ code: 'invalid_field', field: 'payload.metadata.__proto__' });
  });
});

describe('isValidModuleName', () => {
  it.each([
    ['nginx-test', true],
    ['payment_processor.v2', true],
    ['A1', true],
    ['..', false],
    ['../etc/passwd', false],
    ['a/b', false],
    ['a\u0000', false],
    ['-x', false],
    ['', false],
  ])('%j → %p', (name, valid) => {
    expect(isValidModuleName(name)).toBe(valid);
  });
});
