import { issuesOf } from '../test/config-issues';
import { parseConfig } from './parse-config';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'B'.repeat(64);
const FILE = 'mode:\n  current: manual\nlogging:\n  level: ERROR\nmetrics:\n  port: 9100\nkafka:\n  brokers: "file:9092"\n';

describe('env vars over the file (spec 13.1)', () => {
  it('MEDIC_MODE sets mode.current', () => {
    expect(parseConfig(FILE, { MEDIC_MODE: 'semi_auto' }).mode.current).toBe('semi_auto');
  });

  it('MEDIC_LOG_LEVEL sets logging.level', () => {
    expect(parseConfig(FILE, { MEDIC_LOG_LEVEL: 'debug' }).logging.level).toBe('DEBUG');
  });

  it('MEDIC_LOG_FORMAT sets logging.format', () => {
    expect(parseConfig(FILE, { MEDIC_LOG_FORMAT: 'text' }).logging.format).toBe('text');
  });

  it('MEDIC_METRICS_PORT sets metrics.port', () => {
    expect(parseConfig(FILE, { MEDIC_METRICS_PORT: '9200' }).metrics.port).toBe(9200);
  });

  it('SIEM_API_KEY sets siem.api_key and is never part of an error message', () => {
    expect(parseConfig('', { SIEM_API_KEY: 's3cret' }).siem.api_key).toBe('s3cret');
    const error = issuesOf(() => parseConfig('siem:\n  timeout_seconds: 0\n', { SIEM_API_KEY: 's3cret' }));
    expect(JSON.stringify(error)).not.toContain('s3cret');
  });

  it('SMITH_EVENT_BUS_URL with kafka:// sets kafka.brokers', () => {
    const config = parseConfig(FILE, { SMITH_EVENT_BUS_URL: 'kafka://k1:9092,k2:9093' });
    expect(config.kafka.brokers).toBe('k1:9092,k2:9093');
  });

  it('still refuses a wrong value in the file that an env var overrides, naming the file key', () => {
    expect(issuesOf(() => parseConfig('kafka: 5\n', { KAFKA_BROKERS: 'h:1' }))).toEqual([{ key: 'kafka', message: 'Expected object, received number' }]);
    expect(issuesOf(() => parseConfig('kafka:\n  brokers: 5\n', { KAFKA_BROKERS: 'h:1' }))).toEqual([{ key: 'kafka.brokers', message: 'Expected string, received number' }]);
    expect(issuesOf(() => parseConfig('mode:\n  current: sometimes\n', { MEDIC_MODE: 'manual' })).map((i) => i.key)).toEqual(['mode.current']);
    // Once, when nothing overrides it.
    expect(issuesOf(() => parseConfig('kafka: 5\n'))).toEqual([{ key: 'kafka', message: 'Expected object, received number' }]);
  });

  it('leaves the file alone where no env var is set', () => {
    const config = parseConfig(FILE, { UNRELATED: 'x', MEDIC_MODE: '' });
    expect(config.mode.current).toBe('manual');
    expect(config.kafka.brokers).toBe('file:9092');
  });
});

describe("Medic's own env vars", () => {
  it('KAFKA_BROKERS sets kafka.brokers', () => {
    expect(parseConfig(FILE, { KAFKA_BROKERS: 'a:1,b:2' }).kafka.brokers).toBe('a:1,b:2');
  });

  it('accepts KAFKA_BROKERS and SMITH_EVENT_BUS_URL together when they name the same brokers', () => {
    const env = { KAFKA_BROKERS: 'a:1, b:2', SMITH_EVENT_BUS_URL: 'kafka://a:1,b:2' };
    expect(parseConfig('', env).kafka.brokers).toBe('a:1,b:2');
  });

  it('DATABASE_URL sets database.url', () => {
    expect(parseConfig('', { DATABASE_URL: 'postgresql://u@db:5432/medic' }).database.url).toBe('postgresql://u@db:5432/medic');
  });

  it('MEDIC_API_PORT sets interfaces.web.port', () => {
    expect(parseConfig('', { MEDIC_API_PORT: '8080' }).interfaces.web.port).toBe(8080);
  });

  it('MEDIC_API_KEYS replaces api.keys', () => {
    const file = `api:\n  keys:\n    - { name: old, role: admin, key_sha256: "${HASH_A}" }\n`;
    const config = parseConfig(file, { MEDIC_API_KEYS: `ops:operator:${HASH_A}, dash:viewer:${HASH_B}` });
    expect(config.api.keys).toEqual([
      { name: 'ops', role: 'operator', key_sha256: HASH_A },
      { name: 'dash', role: 'viewer', key_sha256: HASH_B.toLowerCase() },
    ]);
  });
});

describe('invalid env vars stop with the variable named', () => {
  it.each([
    [{ MEDIC_MODE: 'auto' }, 'MEDIC_MODE'],
    [{ MEDIC_LOG_LEVEL: 'LOUD' }, 'MEDIC_LOG_LEVEL'],
    [{ MEDIC_LOG_FORMAT: 'xml' }, 'MEDIC_LOG_FORMAT'],
    [{ MEDIC_METRICS_PORT: 'ninety' }, 'MEDIC_METRICS_PORT'],
    [{ MEDIC_METRICS_PORT: '70000' }, 'MEDIC_METRICS_PORT'],
    [{ MEDIC_API_PORT: '-1' }, 'MEDIC_API_PORT'],
    [{ KAFKA_BROKERS: 'nohostport' }, 'KAFKA_BROKERS'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ SMITH_EVENT_BUS_URL: 'redis://localhost:6379' }, 'SMITH_EVENT_BUS_URL'],
    [{ SMITH_EVENT_BUS_URL: 'localhost:9092' }, 'SMITH_EVENT_BUS_URL'],
    [{ SMITH_EVENT_BUS_URL: 'kafka://localhost' }, 'SMITH_EVENT_BUS_URL'],
    [{ SMITH_EVENT_BUS_URL: 'kafka://a:1', KAFKA_BROKERS: 'b:2' }, 'SMITH_EVENT_BUS_URL'],
    [{ MEDIC_API_KEYS: `ops:admin:${HASH_A},plainkey` }, 'MEDIC_API_KEYS'],
    [{ MEDIC_API_KEYS: `ops:root:${HASH_A}` }, 'MEDIC_API_KEYS'],
    [{ MEDIC_API_KEYS: 'ops:admin:abc' }, 'MEDIC_API_KEYS'],
  ])('%j', (env, variable) => {
    expect(issuesOf(() => parseConfig('', env)).map((issue) => issue.key)).toEqual([variable]);
  });

  it('says which scheme SMITH_EVENT_BUS_URL may use', () => {
    const [issue] = issuesOf(() => parseConfig('', { SMITH_EVENT_BUS_URL: 'redis://localhost:6379' }));
    expect(issue?.message).toMatch(/scheme "redis" is not supported.*kafka:\/\//);
  });

  it('names the MEDIC_API_KEYS entry without echoing it', () => {
    const [issue] = issuesOf(() => parseConfig('', { MEDIC_API_KEYS: `ops:admin:${HASH_A},plainkey` }));
    expect(issue?.message).toBe('entry 2 must be name:role:sha256hex');
  });

  it('points at the config key an invalid env value was meant for', () => {
    const [issue] = issuesOf(() => parseConfig('', { MEDIC_API_KEYS: `ops:root:${HASH_A}` }));
    expect(issue?.message).toMatch(/\(api\.keys\.0\.role\)$/);
  });
});
