import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSmithKillMessage } from '@medic/domain';
import { CliError } from './cli-config';
import { parseSmithKill, smithKillMessage } from './smith-reports';

const exitOf = (args: string[]): number | null => {
  try {
    parseSmithKill(args);
    return null;
  } catch (error) {
    return error instanceof CliError ? error.exitCode : -1;
  }
};

describe('medic smith kill', () => {
  it('builds a report the listener accepts, with the options given', () => {
    const kill = parseSmithKill(['nginx-test', '--severity', 'high', '--confidence', '0.9', '--reason', 'threat_detected', '--kill-id', 'demo-7', '--evidence', 'a,b']);
    expect(kill).toMatchObject({ module: 'nginx-test', killId: 'demo-7', severity: 'high', confidence: 0.9, reason: 'threat_detected', evidence: ['a', 'b'] });
    const parsed = parseSmithKillMessage(Buffer.from(smithKillMessage(kill, new Date('2026-02-11T12:00:00Z'), 'medic.responses')), {});
    expect(parsed.ok && parsed.value.payload).toMatchObject({ killId: 'demo-7', targetModule: 'nginx-test', severity: 'high', confidenceScore: 0.9 });
  });

  it('defaults to the reboot plan demo kill', () => {
    expect(parseSmithKill(['nginx-test'])).toMatchObject({ severity: 'low', confidence: 0.4, reason: 'anomaly_behavior', stop: false, dependencies: [] });
  });

  it('names the modules that depend on the one killed, for a cascade', () => {
    const kill = parseSmithKill(['db-svc', '--dependencies', 'api-svc,web-svc']);
    expect(kill.dependencies).toEqual(['api-svc', 'web-svc']);
    const parsed = parseSmithKillMessage(Buffer.from(smithKillMessage(kill, new Date('2026-02-11T12:00:00Z'), 'medic.responses')), {});
    expect(parsed.ok && parsed.value.payload.dependencies).toEqual(['api-svc', 'web-svc']);
  });

  it('takes --stop anywhere among the options', () => {
    expect(parseSmithKill(['nginx-test', '--stop'])).toMatchObject({ module: 'nginx-test', stop: true });
    expect(parseSmithKill(['nginx-test', '--severity', 'high', '--stop', '--kill-id', 'k-9'])).toMatchObject({ severity: 'high', killId: 'k-9', stop: true });
  });

  it.each([
    [['x', '--bogus'], /^unknown option --bogus; known: --severity, --confidence, --reason, --kill-id, --instance, --evidence, --dependencies, --stop, --sign-key, --key-id\n/],
    [['x', '--severity'], /^--severity needs a value \(one of critical, high, medium, low, info\)\n/],
    [['x', '--confidence', '-0.5'], /^--confidence must be a number from 0 to 1$/],
    [['--stop'], /^missing <module>\n/],
  ])('refuses %j saying what is wrong', (args, message) => {
    expect(() => parseSmithKill(args)).toThrow(message);
    expect(exitOf(args)).toBe(2);
  });

  it.each([
    [[]],
    [['--severity', 'low']],
    [['m', '--severity', 'apocalyptic']],
    [['m', '--confidence', '1.5']],
    [['m', '--confidence', 'high']],
    [['m', '--reason', 'boredom']],
    [['m', '--colour', 'red']],
    [['m', '--severity']],
    [['../etc/passwd']],
    [['m', '--kill-id', 'has spaces']],
    [['m', '--dependencies', '../up']],
  ])('refuses %j with a usage error', (args) => {
    expect(exitOf(args)).toBe(2);
  });

  it('names a signing key file it cannot use on one line, whatever its name holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-smith-key-'));
    try {
      const notPem = join(dir, 'key\nforged line');
      writeFileSync(notPem, 'not a key');
      expect(() => parseSmithKill(['m', '--sign-key', notPem, '--key-id', 'k1'])).toThrow(`${dir}/key\\u000aforged line is not a private key in PEM: `);
      expect(() => parseSmithKill(['m', '--sign-key', join(dir, 'gone\u001b[2J'), '--key-id', 'k1'])).toThrow(new RegExp(`^cannot read ${dir}/gone\\\\u001b\\[2J: ENOENT`));
      expect(exitOf(['m', '--sign-key', notPem, '--key-id', 'k1'])).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
