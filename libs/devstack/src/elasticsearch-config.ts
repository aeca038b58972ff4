import { type KafkaJit } from './types';

export interface NodeConfig {
  readonly ports: { readonly http: number; readonly transport: number };
  readonly dataDir: string;
  readonly logsDir: string;
}

/** elasticsearch.yml of a single-node dev and test node, reachable on loopback only. */
export function elasticsearchYml({ ports, dataDir, logsDir }: NodeConfig): string {
  const settings: Record<string, string | number | boolean> = {
    'cluster.name': 'medic-dev',
    'node.name': 'medic-dev',
    'discovery.type': 'single-node',
    'network.host': '127.0.0.1',
    'http.port': ports.http,
    'transport.port': ports.transport,
    'path.data': dataDir,
    'path.logs': logsDir,
    // Plain HTTP without users: a local, loopback-only dev and test node.
    'xpack.security.enabled': false,
    // A nearly full dev disk must not make the node refuse shards or block writes.
    'cluster.routing.allocation.disk.threshold_enabled': false,
  };
  // JSON scalars are valid YAML, so paths with spaces or colons need no escaping rules of our own.
  return Object.entries(settings)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join('\n')
    .concat('\n');
}

/** Added after the distribution's jvm.options (jvm.options.d), so these win. */
export function jvmOptions(heapMb: number, jit: KafkaJit = 'quick'): string {
  return [
    `-Xms${Math.min(heapMb, 256)}m`,
    `-Xmx${heapMb}m`,
    // A heap dump would be as large as the heap, on a disk that may be nearly full.
    '-XX:-HeapDumpOnOutOfMemoryError',
    ...(jit === 'quick' ? ['-XX:TieredStopAtLevel=1'] : []),
    '',
  ].join('\n');
}
