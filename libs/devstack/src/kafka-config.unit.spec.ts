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

  it('adds a SASL_SSL listener beside PLAINTEXT when asked, requiring client certificates with a client CA', () => {
    const secured = { keystore: { file: '/k.p12', password: 'ks' }, clientCaFile: '/ca.pem', users: { medic: 'pw' } };
    const lines = serverProperties({ ports: { client: 9092, controller: 9093, secured: 9094 }, dataDir: '/data', partitions: 1, secured }).split('\n');
    expect(lines).toContain('listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094');
    expect(lines).toContain('listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(lines).toContain('inter.broker.listener.name=PLAINTEXT');
    expect(lines).toContain('listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_medic="pw";');
    expect(lines).toContain('listener.name.sasl_ssl.ssl.client.auth=required');
    expect(serverProperties({ ports: { client: 9092, controller: 9093, secured: 9094 }, dataDir: '/d', partitions: 1, secured: { ...secured, clientCaFile: null } })).not.toContain('ssl.client.auth');
    expect(() => serverProperties({ ports: { client: 1, controller: 2, secured: 3 }, dataDir: '/d', partitions: 1, secured: { ...secured, users: { medic: 'p"w' } } })).toThrow(/letters, digits/);
    expect(serverProperties({ ports: { client: 9092, controller: 9093 }, dataDir: '/d', partitions: 1 })).not.toContain('SASL_SSL');
  });
});
