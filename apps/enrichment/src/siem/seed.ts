import type { Client } from '@elastic/elasticsearch';
import type { MedicConfig } from '@medic/config';

type EsSettings = MedicConfig['siem']['elasticsearch'];

/** A document for the SIEM's indices, with its fields named as the config maps them. */
export interface SeedIndicator {
  readonly module: string;
  readonly at: string;
  readonly type: string;
  readonly value: string;
  readonly score: number;
  readonly source: string;
  readonly tags?: readonly string[];
}

export interface SeedEvent {
  readonly module: string;
  readonly at: string;
  readonly action: string;
  readonly outcome: 'success' | 'failure';
  readonly tags?: readonly string[];
  readonly sourceIp?: string;
  readonly destinationIp?: string;
  readonly user?: string;
}

/** Puts a value at a dotted path of a document, nesting as ECS does. */
function put(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = doc;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]!] = value;
}

/** A mapping entry at a dotted path: `{a: {properties: {b: {type}}}}`. */
export function mapping(paths: Readonly<Record<string, string>>): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [path, type] of Object.entries(paths)) {
    const parts = path.split('.');
    let at = properties;
    for (const part of parts.slice(0, -1)) {
      const node = (at[part] ??= { properties: {} }) as { properties: Record<string, unknown> };
      at = node.properties;
    }
    // Keep what is too long or malformed in _source, unindexed, rather than refuse the document.
    at[parts[parts.length - 1]!] = type === 'keyword' ? { type, ignore_above: 1024 } : { type };
  }
  return { properties };
}

// A single dev node never places replicas; malformed values stay in _source, unindexed.
const SEED_INDEX_SETTINGS = { 'index.mapping.ignore_malformed': true, number_of_replicas: 0 };

/**
 * Index templates for the indices Medic reads and writes, so that module
 * names, tags and actions are exact-match keywords (as ECS has them) and
 * times are dates, whatever index of the pattern a feed creates.
 */
export async function ensureSiemTemplates(client: Client, es: EsSettings): Promise<void> {
  const f = es.fields;
  const pattern = (index: string) => (index.endsWith('*') ? index : `${index}*`);
  await client.indices.putIndexTemplate({
    name: 'medic-threat-indicators',
    index_patterns: [pattern(es.indicators_index)],
    template: {
      settings: SEED_INDEX_SETTINGS,
      mappings: mapping({
        [f.timestamp]: 'date',
        [f.module]: 'keyword',
        [f.indicator_type]: 'keyword',
        [f.indicator_value]: 'keyword',
        [f.indicator_score]: 'double',
        [f.indicator_source]: 'keyword',
        [f.indicator_last_seen]: 'date',
        [f.tags]: 'keyword',
      }),
    },
  });
  await client.indices.putIndexTemplate({
    name: 'medic-module-events',
    index_patterns: [pattern(es.module_events_index)],
    template: {
      settings: SEED_INDEX_SETTINGS,
      mappings: mapping({
        [f.timestamp]: 'date',
        [f.module]: 'keyword',
        [f.event_action]: 'keyword',
        [f.event_outcome]: 'keyword',
        [f.tags]: 'keyword',
        [f.source_ip]: 'ip',
        [f.destination_ip]: 'ip',
        [f.user]: 'keyword',
      }),
    },
  });
}

export function indicatorDocument(i: SeedIndicator, f: EsSettings['fields']): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  put(doc, f.timestamp, i.at);
  put(doc, f.module, i.module);
  put(doc, f.indicator_type, i.type);
  put(doc, f.indicator_value, i.value);
  put(doc, f.indicator_score, i.score);
  put(doc, f.indicator_source, i.source);
  put(doc, f.indicator_last_seen, i.at);
  put(doc, f.tags, [...(i.tags ?? [])]);
  return doc;
}

export function eventDocument(e: SeedEvent, f: EsSettings['fields']): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  put(doc, f.timestamp, e.at);
  put(doc, f.module, e.module);
  put(doc, f.event_action, e.action);
  put(doc, f.event_outcome, e.outcome);
  put(doc, f.tags, [...(e.tags ?? [])]);
  if (e.sourceIp) put(doc, f.source_ip, e.sourceIp);
  if (e.destinationIp) put(doc, f.destination_ip, e.destinationIp);
  if (e.user) put(doc, f.user, e.user);
  return doc;
}

/**
 * Writes documents into the indices (the concrete index is the pattern
 * without its `*`), searchable at once. With `ids`, the n-th indicator and
 * event are `<ids>-indicator-<n>` and `<ids>-event-<n>`: writing the same set
 * again replaces it rather than doubling every sighting.
 */
export async function writeSiemDocuments(
  client: Client,
  es: EsSettings,
  docs: { indicators?: readonly Record<string, unknown>[]; events?: readonly Record<string, unknown>[] },
  ids?: string,
): Promise<number> {
  const concrete = (index: string) => index.replace(/\*+$/, '') || 'medic-seed';
  const target = (index: string, kind: string, n: number) => ({ index: { _index: concrete(index), ...(ids ? { _id: `${ids}-${kind}-${n}` } : {}) } });
  const operations = [
    ...(docs.indicators ?? []).flatMap((d, n) => [target(es.indicators_index, 'indicator', n), d]),
    ...(docs.events ?? []).flatMap((d, n) => [target(es.module_events_index, 'event', n), d]),
  ];
  if (operations.length === 0) return 0;
  const response = await client.bulk({ operations, refresh: 'wait_for' });
  if (response.errors) {
    const first = response.items.map((item) => item.index).find((r) => r?.error);
    throw new Error(`the SIEM refused documents: ${first?.error?.reason ?? 'unknown reason'}`);
  }
  return operations.length / 2;
}

/**
 * Sample data for demos: a module with strong threat indicators
 * (payments-api), one whose kills analysts keep marking as false positives
 * (report-cache), and quiet background traffic for the reboot plan's
 * nginx-test — all within the last days before `now`.
 */
export function sampleSiemData(now: Date, settings: EsSettings): { indicators: Record<string, unknown>[]; events: Record<string, unknown>[] } {
  const f = settings.fields;
  const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000).toISOString();
  const indicators: SeedIndicator[] = [
    { module: 'payments-api', at: ago(2), type: 'ip', value: '203.0.113.66', score: 0.95, source: 'abuse-feed', tags: ['c2', 'botnet'] },
    { module: 'payments-api', at: ago(5), type: 'file_hash', value: 'e3b0c44298fc1c149afbf4c8996fb924', score: 0.9, source: 'edr', tags: ['implant'] },
    { module: 'payments-api', at: ago(30), type: 'domain', value: 'update-check.example.net', score: 0.7, source: 'dns-intel', tags: ['dga'] },
    { module: 'nginx-test', at: ago(48), type: 'ip', value: '198.51.100.7', score: 0.1, source: 'scanner-list', tags: ['scanner'] },
  ];
  const events: SeedEvent[] = [
    ...Array.from({ length: 4 }, (_, i): SeedEvent => ({ module: 'report-cache', at: ago(24 * (i + 1)), action: settings.kill_actions[0]!, outcome: 'success', tags: [settings.false_positive_tag], user: 'svc-report' })),
    ...Array.from({ length: 6 }, (_, i): SeedEvent => ({ module: 'nginx-test', at: ago(i + 1), action: 'http_request', outcome: 'success', sourceIp: '192.0.2.10', destinationIp: '10.0.0.5' })),
    { module: 'payments-api', at: ago(3), action: 'outbound_connection', outcome: 'success', sourceIp: '10.0.0.9', destinationIp: '203.0.113.66', user: 'svc-payments' },
  ];
  return { indicators: indicators.map((i) => indicatorDocument(i, f)), events: events.map((e) => eventDocument(e, f)) };
}
