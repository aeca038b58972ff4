/** Kafka bootstrap servers as `host:port,host:port` (IPv6 hosts in brackets). */

const BROKER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

export const BROKERS_FORMAT = 'host:port[,host:port…]';

/** The brokers of a `host:port,…` list, trimmed; undefined when any entry is malformed. */
export function parseBrokerList(text: string): readonly string[] | undefined {
  const brokers = text.split(',').map((entry) => entry.trim());
  return brokers.every(isBroker) ? brokers : undefined;
}

function isBroker(entry: string): boolean {
  const port = BROKER.exec(entry)?.[2];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65_535;
}

/** `kafka://host:port[,host:port]` → `host:port,…`; any other scheme is refused. */
export function brokersFromKafkaUrl(url: string): { ok: true; brokers: string } | { ok: false; message: string } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1];
  if (scheme === undefined) return { ok: false, message: `must look like kafka://${BROKERS_FORMAT}` };
  if (scheme.toLowerCase() !== 'kafka') {
    return { ok: false, message: `scheme "${scheme}" is not supported: Medic's event bus is Kafka (kafka://${BROKERS_FORMAT})` };
  }
  const brokers = parseBrokerList(url.slice(scheme.length + 3).replace(/\/+$/, ''));
  if (brokers === undefined) return { ok: false, message: `must look like kafka://${BROKERS_FORMAT}` };
  return { ok: true, brokers: brokers.join(',') };
}
