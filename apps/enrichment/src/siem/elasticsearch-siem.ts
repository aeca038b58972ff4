import { Client, errors } from '@elastic/elasticsearch';
import type { MedicConfig } from '@medic/config';
import type { JsonObject, ThreatIndicator } from '@medic/domain';
import { Ignored, readBuckets, readCount, readIndicator, type IndicatorFields } from './read-siem';
import { SiemError, type SiemAnswer, type SiemClient, type SiemDocument, type SiemQuery } from './siem-client';

type EsSettings = MedicConfig['siem']['elasticsearch'];

/**
 * The SIEM on Elasticsearch. Every kill of a round is asked in one `_msearch`
 * (its indicators, and its module's events aggregated), each search bounded
 * to the module and the kill's window with term and range filters — report
 * fields are values in the query body, never query syntax.
 */
export class ElasticsearchSiem implements SiemClient {
  readonly name = 'elasticsearch';
  private readonly client: Client;
  private readonly fields: IndicatorFields;

  constructor(
    endpoint: string,
    apiKey: string | undefined,
    private readonly settings: EsSettings,
    private readonly maxResults: number,
  ) {
    // Retries and timeouts are Medic's (see ResilientSiem), not the client's.
    this.client = new Client({ node: endpoint, ...(apiKey ? { auth: { apiKey } } : {}), maxRetries: 0, compression: false });
    const f = settings.fields;
    this.fields = {
      timestamp: f.timestamp,
      indicatorType: f.indicator_type,
      indicatorValue: f.indicator_value,
      indicatorScore: f.indicator_score,
      indicatorSource: f.indicator_source,
      indicatorLastSeen: f.indicator_last_seen,
      tags: f.tags,
    };
  }

  async queryContext(queries: readonly SiemQuery[], timeoutMs: number): Promise<SiemAnswer[]> {
    if (queries.length === 0) return [];
    const searches = queries.flatMap((q) => [
      { index: this.settings.indicators_index, ignore_unavailable: true, allow_no_indices: true },
      this.indicatorSearch(q),
      { index: this.settings.module_events_index, ignore_unavailable: true, allow_no_indices: true },
      this.eventsSearch(q),
    ]);
    const response = await this.call(() => this.client.msearch({ searches }, { requestTimeout: timeoutMs }));
    const responses = response.responses as unknown[];
    return queries.map((q, i) => this.answer(q, responses[2 * i], responses[2 * i + 1]));
  }

  async index(documents: readonly SiemDocument[], timeoutMs: number): Promise<void> {
    if (documents.length === 0) return;
    const operations = documents.flatMap((d) => [{ index: { _index: this.settings.medic_index, _id: d.id } }, d.body]);
    const response = await this.call(() => this.client.bulk({ operations, refresh: false }, { requestTimeout: timeoutMs }));
    if (response.errors) {
      const failed = response.items.map((item) => item.index).filter((r) => r?.error);
      const retriable = failed.some((r) => r!.status === 429 || (r!.status ?? 500) >= 500);
      throw new SiemError(`${failed.length} of ${documents.length} documents were not indexed: ${failed[0]?.error?.reason ?? 'unknown'}`, retriable);
    }
  }

  /** Cluster health rather than `ping()`: some builds (the dev stack's) answer 405 to `HEAD /`. */
  async ping(timeoutMs: number): Promise<boolean> {
    try {
      const health = await this.client.cluster.health({}, { requestTimeout: timeoutMs });
      return health.status !== 'red';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private indicatorSearch(q: SiemQuery): Record<string, unknown> {
    const f = this.settings.fields;
    return {
      size: this.maxResults,
      timeout: '5s',
      query: { bool: { filter: [{ term: { [f.module]: q.module } }, { range: { [f.timestamp]: { gte: q.from, lte: q.to } } }] } },
      sort: [{ [f.indicator_score]: { order: 'desc', unmapped_type: 'double' } }],
      _source: [f.indicator_type, f.indicator_value, f.indicator_score, f.indicator_source, f.indicator_last_seen, f.tags, f.timestamp],
    };
  }

  private eventsSearch(q: SiemQuery): Record<string, unknown> {
    const f = this.settings.fields;
    const terms = (field: string, size: number) => ({ terms: { field, size } });
    return {
      size: 0,
      timeout: '5s',
      track_total_hits: 10_000,
      query: { bool: { filter: [{ term: { [f.module]: q.module } }, { range: { [f.timestamp]: { gte: q.from, lte: q.to } } }] } },
      aggs: {
        actions: terms(f.event_action, 10),
        outcomes: terms(f.event_outcome, 5),
        false_positives: { filter: { term: { [f.tags]: this.settings.false_positive_tag } } },
        source_ips: terms(f.source_ip, 5),
        destination_ips: terms(f.destination_ip, 5),
        users: terms(f.user, 5),
      },
    };
  }

  private answer(q: SiemQuery, indicatorsResponse: unknown, eventsResponse: unknown): SiemAnswer {
    const ignored = new Ignored();
    const indicators: ThreatIndicator[] = [];
    const hits = searchHits(indicatorsResponse, 'indicators', ignored);
    hits.forEach((hit, i) => {
      const indicator = readIndicator((hit as { _source?: unknown })._source, i, this.fields, ignored);
      if (indicator) indicators.push(indicator);
    });
    const aggs = searchAggregations(eventsResponse, 'module_events', ignored);
    const total = readCount((eventsResponse as { hits?: { total?: unknown } } | undefined)?.hits?.total, 'module_events.total', ignored);
    const users = readBuckets(aggs['users'], 'module_events.users', ignored);
    const historicalBehavior: JsonObject = {
      events_in_window: total,
      window_start: q.from,
      actions: readBuckets(aggs['actions'], 'module_events.actions', ignored),
      outcomes: readBuckets(aggs['outcomes'], 'module_events.outcomes', ignored),
    };
    const networkContext: JsonObject = {
      source_ips: readBuckets(aggs['source_ips'], 'module_events.source_ips', ignored),
      destination_ips: readBuckets(aggs['destination_ips'], 'module_events.destination_ips', ignored),
    };
    return {
      killId: q.killId,
      indicators,
      falsePositives: readCount(aggs['false_positives'], 'module_events.false_positives', ignored),
      historicalBehavior,
      networkContext,
      userContext: Object.keys(users).length > 0 ? { users } : null,
      ignored: ignored.list(),
    };
  }

  /** Elasticsearch's errors as SiemErrors that say whether trying again may help. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof errors.ResponseError) {
        const status = error.meta.statusCode ?? 500;
        throw new SiemError(`Elasticsearch answered ${status}: ${error.message}`, status === 429 || status >= 500);
      }
      if (error instanceof errors.TimeoutError) throw new SiemError(`Elasticsearch did not answer in time: ${error.message}`, true);
      if (error instanceof errors.ConnectionError || error instanceof errors.NoLivingConnectionsError) {
        throw new SiemError(`Elasticsearch is unreachable: ${error.message}`, true);
      }
      throw new SiemError(`Elasticsearch request failed: ${error instanceof Error ? error.message : String(error)}`, false);
    }
  }
}

/** The hits of one search of an msearch; a failed search is named and counts as none. */
function searchHits(response: unknown, where: string, ignored: Ignored): unknown[] {
  const r = response as { error?: { reason?: unknown }; hits?: { hits?: unknown } } | undefined;
  if (r?.error) {
    ignored.add(where, `search failed: ${reasonOf(r.error)}`);
    return [];
  }
  const hits = r?.hits?.hits;
  return Array.isArray(hits) ? hits : [];
}

function searchAggregations(response: unknown, where: string, ignored: Ignored): Record<string, unknown> {
  const r = response as { error?: { reason?: unknown }; aggregations?: unknown } | undefined;
  if (r?.error) {
    ignored.add(where, `search failed: ${reasonOf(r.error)}`);
    return {};
  }
  return typeof r?.aggregations === 'object' && r.aggregations !== null ? (r.aggregations as Record<string, unknown>) : {};
}

function reasonOf(error: { reason?: unknown }): string {
  return typeof error.reason === 'string' ? error.reason.slice(0, 200) : 'no reason given';
}
