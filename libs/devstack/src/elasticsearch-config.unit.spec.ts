import { parse } from 'yaml';
import { elasticsearchYml, jvmOptions } from './elasticsearch-config';

describe('dev Elasticsearch configuration', () => {
  const config = { ports: { http: 9200, transport: 9300 }, dataDir: '/tmp/a dir: with "quotes"/data', logsDir: '/tmp/logs' };

  it('is a single node on loopback, without security or disk watermarks', () => {
    expect(parse(elasticsearchYml(config))).toMatchObject({
      'discovery.type': 'single-node',
      'network.host': '127.0.0.1',
      'http.port': 9200,
      'transport.port': 9300,
      'xpack.security.enabled': false,
      'cluster.routing.allocation.disk.threshold_enabled': false,
    });
  });

  it('keeps paths with spaces, colons and quotes intact', () => {
    expect(parse(elasticsearchYml(config))).toMatchObject({ 'path.data': config.dataDir, 'path.logs': config.logsDir });
  });

  it('caps the initial heap at 256 MiB and compiles with C1 only unless the standard JIT is asked for', () => {
    expect(jvmOptions(512).split('\n')).toEqual(expect.arrayContaining(['-Xms256m', '-Xmx512m', '-XX:TieredStopAtLevel=1']));
    expect(jvmOptions(128).split('\n')).toEqual(expect.arrayContaining(['-Xms128m', '-Xmx128m']));
    expect(jvmOptions(512, 'standard')).not.toContain('TieredStopAtLevel');
  });
});
