import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from './config.error';
import { loadConfig } from './load-config';
import { parseConfig } from './parse-config';

const EXAMPLE_FILE = resolve(__dirname, '../../../config/medic.yaml');

describe('loadConfig: which file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (relative: string, text: string): string => {
    const path = join(dir, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  };

  it('uses pure defaults when MEDIC_CONFIG_PATH is unset and there is no config/medic.yaml', () => {
    expect(loadConfig({ env: {}, cwd: dir })).toEqual(parseConfig(''));
  });

  it('reads config/medic.yaml under the working directory when present', () => {
    write('config/medic.yaml', 'mode:\n  current: manual\n');
    expect(loadConfig({ env: {}, cwd: dir }).mode.current).toBe('manual');
  });

  it('reads the file named by MEDIC_CONFIG_PATH (relative to cwd), with env over it', () => {
    write('config/medic.yaml', 'mode:\n  current: manual\n');
    write('etc/medic.yaml', 'mode:\n  current: semi_auto\nmetrics:\n  port: 9100\n');
    const config = loadConfig({ env: { MEDIC_CONFIG_PATH: 'etc/medic.yaml', MEDIC_METRICS_PORT: '9200' }, cwd: dir });
    expect(config.mode.current).toBe('semi_auto');
    expect(config.metrics.port).toBe(9200);
  });

  it('stops when MEDIC_CONFIG_PATH names a missing file', () => {
    const load = () => loadConfig({ env: { MEDIC_CONFIG_PATH: 'missing.yaml' }, cwd: dir });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`MEDIC_CONFIG_PATH: no such file: ${join(dir, 'missing.yaml')}`);
  });

  it('names the file in the error of an invalid one', () => {
    const path = write('medic.yaml', 'mode:\n  current: [\n');
    expect(() => loadConfig({ env: { MEDIC_CONFIG_PATH: path }, cwd: dir })).toThrow(`Invalid Medic configuration (${path}):\n  (file): line`);
  });

  it('stops when the file cannot be read', () => {
    mkdirSync(join(dir, 'config', 'medic.yaml'), { recursive: true });
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(/\(file\): cannot read/);
  });
});

describe('config/medic.yaml, the documented example', () => {
  const text = readFileSync(EXAMPLE_FILE, 'utf8');

  it('holds every key at its default', () => {
    expect(parseConfig(text)).toEqual(parseConfig(''));
  });

  it('shows every key there is', () => {
    expect(leafPaths(parse(text))).toEqual(leafPaths(parseConfig('')));
  });
});

/** Dotted paths of the leaves of a tree; empty objects and arrays count as leaves. */
function leafPaths(value: unknown, prefix = ''): string[] {
  const isBranch = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0;
  if (!isBranch) return [prefix];
  return Object.entries(value)
    .flatMap(([key, child]) => leafPaths(child, prefix === '' ? key : `${prefix}.${key}`))
    .sort();
}
