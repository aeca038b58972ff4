import { parseUpArgs } from './up.command';

describe('medic up arguments', () => {
  it('takes --no-siem and any number of demo targets, each once', () => {
    expect(parseUpArgs([])).toEqual({ noSiem: false, demoTargets: [] });
    expect(parseUpArgs(['--demo-target', 'nginx-test', '--no-siem', '--demo-target=web', '--demo-target', 'nginx-test'])).toEqual({ noSiem: true, demoTargets: ['nginx-test', 'web'] });
  });

  it.each([
    [['--demo-target'], /^--demo-target needs a value \(a module name\)/],
    [['--demo-target='], /not a valid module name/],
    [['--demo-target', '../etc'], /not a valid module name/],
    [['--demo-target', 'we\u001b[2Jb'], /^--demo-target "we\\u001b\[2Jb" is not a valid module name/],
    [['--fast'], /^unknown option --fast; known: --no-siem, --demo-target/],
    [['now'], /^unexpected argument now/],
  ])('refuses %j with a message and exit code 2', (args, message) => {
    expect(() => parseUpArgs(args)).toThrow(message);
    try {
      parseUpArgs(args);
    } catch (error) {
      expect((error as { exitCode?: number }).exitCode).toBe(2);
    }
  });
});
