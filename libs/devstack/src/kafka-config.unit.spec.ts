import { jvmArgs, serverProperties } from './kafka-config';

describe('dev broker configuration', () => {
  it('compiles with C1 only unless the standard JIT is asked for', () => {
    expect(jvmArgs('/libs', '/log4j')).toContain('-XX:TieredStopAtLevel=1');
    expect(jvmArgs('/libs', '/log4j', 'quick')).toContain('-XX:TieredStopAtLevel=1');
    const standard = jvmArgs('/libs', '/log4j', 'standard');
    expect(standard.some((a) => a.startsWith('-XX:TieredStopAtLevel'))).toBe(false);
    expect(standard.slice(-2)).toEqual(['-cp', '/libs/*']);
  });

  it('lets one node run transactions: every internal topic replicated once', () => {
    const props = serverProperties({ ports: { client: 9092, controller: 9093 }, dataDir: '/data', partitions: 3 });
    for (const line of ['transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1', 'offsets.topic.replication.factor=1', 'num.partitions=3']) {
      expect(props.split('\n')).toContain(line);
    }
  });
});
