import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyPath, devApiKey } from './endpoints';

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
