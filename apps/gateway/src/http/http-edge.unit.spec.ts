import { ApiError } from '@medic/eventlog';
import { clientErrorAnswer, JSON_BODIES, jsonBodyRefusal } from './http-edge';

describe('request bodies', () => {
  it('takes JSON in UTF-8, however the type and charset are written', () => {
    for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8; foo=bar']) {
      expect(jsonBodyRefusal(type)).toBeNull();
    }
  });

  it('refuses a body that is not JSON, or whose type it does not say, naming what to send', () => {
    expect(jsonBodyRefusal(undefined)).toMatch(/Content-Type: application\/json/);
    expect(jsonBodyRefusal('text/plain')).toMatch(/not text\/plain/);
    expect(jsonBodyRefusal('application/x-www-form-urlencoded')).toMatch(/must be JSON/);
    expect(jsonBodyRefusal('application/xml; charset=utf-8')).toMatch(/not application\/xml/);
  });

  it('refuses every charset but UTF-8, UTF-16 included', () => {
    expect(jsonBodyRefusal('application/json; charset=utf-16')).toMatch(/unsupported charset "utf-16"/);
    expect(jsonBodyRefusal('application/json; charset="ISO-8859-1"')).toMatch(/"ISO-8859-1".*UTF-8/);
  });
});

describe('reading a JSON body', () => {
  const verify = (text: string | Buffer) => () => JSON_BODIES.verify(undefined, undefined, Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

  it('refuses a member named twice in one object as a validation error naming it, with or without a byte order mark', () => {
    for (const body of ['{"reason":"a","reason":"b"}', '\uFEFF{"reason":"a","reason":"b"}', '{"notes":"x","reason":"a","\\u0072eason":"b"}']) {
      let thrown: unknown;
      try {
        verify(body)();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ApiError);
      expect(thrown).toMatchObject({ status: 400, code: 'validation_error', field: 'reason' });
    }
    expect(() => verify('{"thresholds":{"low":0.3,"low":0.5},"reason":"r"}')()).toThrow(/^thresholds\.low: the body names this member twice/);
  });

  it('lets distinct members through, and leaves a body that is not JSON to the parser', () => {
    expect(verify('{"reason":"a","notes":{"reason":"b"}}')).not.toThrow();
    expect(verify('{"reason":')).not.toThrow();
    expect(verify('null')).not.toThrow();
  });

  it('refuses a lone surrogate escape in a string or a member name, and nesting past 32 levels, as validation errors naming where', () => {
    const refusal = (body: string) => {
      try {
        verify(body)();
      } catch (error) {
        return error;
      }
      return null;
    };
    expect(refusal('{"reason":"\\ud800 broken"}')).toMatchObject({ status: 400, code: 'validation_error', field: 'reason', message: expect.stringMatching(/^reason: holds a lone surrogate escape/) as unknown });
    expect(refusal('{"notes":{"tags":["ok","\\udc00"]}}')).toMatchObject({ code: 'validation_error', field: 'notes.tags[1]' });
    expect(refusal('{"\\ud800":1}')).toMatchObject({ code: 'validation_error', field: expect.stringMatching(/^[^\ud800-\udfff]+$/) as unknown });
    // A pair is a character: accepted.
    expect(refusal('{"reason":"\\ud83d\\ude00"}')).toBeNull();
    // Nesting: deep enough to have overflowed the parser's stack, and just past the bound.
    expect(refusal(`{"reason":"r","notes":${'['.repeat(3_000)}${']'.repeat(3_000)}}`)).toMatchObject({ status: 400, code: 'validation_error', message: expect.stringMatching(/more than 32 deep$/) as unknown });
    expect(refusal(`${'['.repeat(33)}${']'.repeat(33)}`)).toMatchObject({ code: 'validation_error', field: '[0]'.repeat(32) });
    expect(refusal(`${'['.repeat(32)}${']'.repeat(32)}`)).toBeNull();
  });

  it('refuses bytes that are not UTF-8 with 415 first', () => {
    expect(verify(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/not valid UTF-8/);
  });
});

describe('requests Node refuses before the gateway sees them', () => {
  it('answers a request not received whole in time 408, naming the deadline', () => {
    const [status, reason, item] = clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT', 2_500);
    expect([status, reason]).toEqual([408, 'Request Timeout']);
    expect(item).toEqual({ code: 'request_timeout', message: 'the request was not received whole within 2.5 s' });
  });

  it('answers oversized headers 431 and anything else it cannot parse 400', () => {
    expect(clientErrorAnswer('HPE_HEADER_OVERFLOW', 10_000)[0]).toBe(431);
    expect(clientErrorAnswer('HPE_INVALID_METHOD', 10_000)).toEqual([400, 'Bad Request', { code: 'bad_request', message: 'the request is not valid HTTP' }]);
  });
});
