import { configureLogging, Logger } from './logger';

describe('Logger', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    configureLogging({ level: 'INFO', format: 'json', sink: (line) => lines.push(line) });
  });
  afterAll(() => configureLogging({ level: 'INFO', format: 'json', sink: (line) => process.stdout.write(line + '\n') }));

  it('writes the spec 10.2 record as one JSON line by default', () => {
    new Logger('medic.decision', { step: 'decision' }).warn('decided', { kill_id: 'k-1', offset: 7n }, { traceId: 't1', spanId: 's1' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      level: 'WARNING',
      logger: 'medic.decision',
      message: 'decided',
      context: { step: 'decision', kill_id: 'k-1', offset: '7' },
      trace_id: 't1',
      span_id: 's1',
    });
  });

  it('writes one line of text per record with logging.format text', () => {
    configureLogging({ format: 'text' });
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    new Logger('medic.gateway').error('request failed:\nstore down', { path: '/api/v1/decisions', reason: 'not reachable', error, attempts: 3, ok: false, none: null, skipped: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR medic\.gateway: request failed:\\nstore down path=\/api\/v1\/decisions reason="not reachable" error=\{"name":"Error","message":"connect ECONNREFUSED","code":"ECONNREFUSED"\} attempts=3 ok=false none=null$/,
    );
    new Logger('medic.decision').info('decided', { kill_id: 'k-1' }, { traceId: 't1', spanId: 's1' });
    expect(lines[1]).toMatch(/ INFO medic\.decision: decided kill_id=k-1 trace_id=t1 span_id=s1$/);
  });

  it('drops what is below the configured level', () => {
    configureLogging({ level: 'WARNING' });
    const logger = new Logger('medic.x');
    logger.info('quiet');
    logger.debug('quieter');
    logger.critical('loud');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['loud']);
  });
});
