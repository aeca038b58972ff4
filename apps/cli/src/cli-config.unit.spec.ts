import { Logger } from '@medic/observability';
import { logToStderr } from './cli-config';

describe('logToStderr', () => {
  it("sends what libraries log to the given stream as text, keeping it out of the command's standard output", () => {
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      logToStderr((text) => written.push(text));
      new Logger('medic.kafka').error('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { kafka_namespace: 'kafkajs' });
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
    }
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z ERROR medic\.kafka: Connection error: connect ECONNREFUSED 127\.0\.0\.1:9092 kafka_namespace=kafkajs\n$/);
  });
});
