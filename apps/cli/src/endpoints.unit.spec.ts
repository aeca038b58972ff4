import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error';
import { apiKeyPath, devApiKey, endpoint, endpointsPath, readEndpoints, type EndpointsFile } from './endpoints';

describe('devApiKey', () => {
  let home: string;
  beforeEach(() => {
    home = join(mkdtempSync(join(tmpdir(), 'medic-key-')), '.medic');
  });
  afterEach(() => rmSync(join(home, '..'), { recursive: true, force: true }));

  it('makes a key on the first run and keeps it where only its owner can read it', () => {
    const first = devApiKey(home);
    expect(first).toEqual({ key: expect.stringMatching(/^medic_dev_[A-Za-z0-9_-]{32}$/) as unknown, kept: false });
    expect(readFileSync(apiKeyPath(home), 'utf8')).toBe(`${first.key}\n`);
    expect(statSync(apiKeyPath(home)).mode & 0o777).toBe(0o600);
  });

  it('gives later runs the same key, and closes a file others could read', () => {
    const first = devApiKey(home);
    chmodSync(apiKeyPath(home), 0o644);
    expect(devApiKey(home)).toEqual({ key: first.key, kept: true });
    expect(statSync(apiKeyPath(home)).mode & 0o777).toBe(0o600);
  });

  it('makes a new key when the file holds something that is no key of its making', () => {
    devApiKey(home);
    for (const content of ['', 'hunter2', 'medic_dev_short', `medic_dev_${'a'.repeat(32)} extra`]) {
      writeFileSync(apiKeyPath(home), content);
      const made = devApiKey(home);
      expect(made.kept).toBe(false);
      expect(made.key).not.toBe(content.trim());
    }
  });

  it('makes a new key once the file is deleted', () => {
    const first = devApiKey(home);
    rmSync(apiKeyPath(home));
    expect(devApiKey(home).key).not.toBe(first.key);
  });
});

describe('the endpoints file a command reads', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'medic-endpoints-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const fileWith = (content: string): EndpointsFile => {
    writeFileSync(endpointsPath(home), content);
    return readEndpoints(home)!;
  };

  it('is none where no medic up wrote one', () => {
    expect(readEndpoints(home)).toBeNull();
  });

  it('gives the addresses medic up wrote, and none for a part the stack does not run', () => {
    const file = fileWith(JSON.stringify({ kafka: { brokers: '127.0.0.1:9092' }, postgres: { url: 'postgres://x@127.0.0.1/db' } }));
    expect(endpoint(file, 'kafka.brokers', 'KAFKA_BROKERS')).toBe('127.0.0.1:9092');
    expect(endpoint(file, 'elasticsearch.url', 'SIEM_ENDPOINT', { optional: true })).toBeNull();
  });

  it.each([
    ['{}', 'has no kafka.brokers as `medic up` writes it (found none)'],
    ['[]', 'has no kafka.brokers as `medic up` writes it (found none)'],
    ['42', 'has no kafka.brokers as `medic up` writes it (found none)'],
    ['{"kafka":{"brokers":5}}', 'has no kafka.brokers as `medic up` writes it (found a number)'],
    ['{"kafka":{"brokers":" "}}', 'has no kafka.brokers as `medic up` writes it (found an empty string)'],
    ['{"kafka":', 'is not JSON as `medic up` writes it'],
  ])('is a usage error naming the file and the address when it holds %s', (content, problem) => {
    const file = fileWith(content);
    let thrown: unknown;
    try {
      endpoint(file, 'kafka.brokers', 'KAFKA_BROKERS');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect(thrown).toMatchObject({ exitCode: 2, message: expect.stringContaining(`${endpointsPath(home)} ${problem}`) });
    expect((thrown as CliError).message).toMatch(/delete it if no `medic up` runs with this MEDIC_HOME, or set KAFKA_BROKERS$/);
  });

  it('is an error for an optional address too when it holds something else', () => {
    expect(() => endpoint(fileWith('{"docker":{"socket":["a"]}}'), 'docker.socket', 'DOCKER_HOST', { optional: true })).toThrow(/has no docker\.socket .*found a list/);
  });
});
