import { Client, errors } from '@elastic/elasticsearch';
import type { MedicConfig } from '@medic/config';
import type { JsonObject, ThreatIndicator } from '@medic/domain';
import { capsAskedFor, exactField, type ExactField, type FieldCaps } from './exact-fields';
import { fieldOf, Ignored, readBuckets, readCount, readIndicator, type IndicatorFields } from './read-siem';
import { mapping } from './seed';
import { SiemError, type SiemAnswer, type SiemClient, type SiemDocument, type SiemQuery } from './siem-client';

type EsSettings = MedicConfig['siem']['elasticsearch'];

/** What Medic writes into its index (see the enrichment service's report handlers). */
const MEDIC_INDEX_MAPPING = {
  ...mapping({
    '@timestamp': 'date',
    'event.kind': 'keyword',
    'event.category': 'keyword',
    'event.action': 'keyword',
    'event.outcome': 'keyword',
    'service.name': 'keyword',
    'medic.kill_id': 'keyword',
    'medic.decision_id': 'keyword',
    'medic.outcome_id': 'keyword',
    'medic.request_id': 'keyword',
    'medic.risk_level': 'keyword',
    'medic.risk_score': 'double',
    'medic.confidence': 'double',
    'medic.mode': 'keyword',
    'medic.observe_only': 'boolean',
    'medic.siem_status': 'keyword',
    'medic.reasoning': 'text',
    'medic.time_to_stable_seconds': 'double',
    'medic.lessons_learned': 'text',
  }),
  // Fields added later are exact-match keywords too, not analysed text.
  dynamic_templates: [{ strings_as_keywords: { match_mapping_type: 'string', mapping: { type: 'keyword' as const, ignore_above: 1024 } } }],
};

/**
 * The SIEM on Elasticsearch. Every kill of a round is asked in one `_msearch`
 * of a few searches: the round's modules' strongest indicators, and their
 * events aggregated per kill (in chunks, to bound each search's size). Each
 * search is bounded to the modules and the kills' windows with term and range
 * filters — report fields are values in the query body, never query syntax,
 * and never the names of its aggregations (those go by place: m0, m1…).
 */
export class ElasticsearchSiem implements SiemClient {
  readonly name = 'elasticsearch';
  private readonly client: Client;
  private readonly fields: IndicatorFields;
  private medicTemplate: Promise<void> | null = null;
  /** The exact names of the fields Medic filters and counts by, per index pattern and fields asked, found at most EXACT_FIELDS_TTL_MS ago. */
  private readonly exactFields = new Map<string, { readonly at: number; readonly fields: Promise<ReadonlyMap<string, ExactField>> }>();

  constructor(
    endpoint: string,
    apiKey: string | undefined,
    private readonly settings: EsSettings,
    private readonly maxResults: number,
    /** The CA of an https:// endpoint (siem.ca_file); null: the system's CAs. */
    ca: Buffer | null = null,
  ) {
    // Retries and timeouts are Medic's (see ResilientSiem), not the client's.
    this.client = new Client({ node: endpoint, ...(apiKey ? { auth: { apiKey } } : {}), ...(ca ? { tls: { ca } } : {}), maxRetries: 0, compression: false });
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

  /**
   * One round trip for the round. Indicators: the strongest of each module
   * over the union of its kills' windows (then each kill keeps those inside
   * its own), a top_hits bucket per module in one search, or a search of its
   * own for a module that needs more hits than a top_hits bucket gives.
   * Events: one search per chunk of kills, with a bucket per module and in it
   * a date_range bucket per kill. Elasticsearch's cost goes by the number of
   * searches far more than by their size: fifty modules are asked in two
   * searches rather than a hundred.
   */
  async queryContext(queries: readonly SiemQuery[], timeoutMs: number): Promise<SiemAnswer[]> {
    if (queries.length === 0) return [];
    // One budget for the round: the mappings, when they must be asked again, and the searches.
    const deadline = Date.now() + timeoutMs;
    const f = this.settings.fields;
    const [indicatorFields, eventFields] = await Promise.all([
      this.exactFieldsOf(this.settings.indicators_index, [f.module], timeoutMs),
      this.exactFieldsOf(this.settings.module_events_index, [f.module, f.event_action, f.event_outcome, f.tags, f.source_ip, f.destination_ip, f.user], timeoutMs),
    ]);
    const exact: Exact = { indicators: indicatorFields, events: eventFields, notes: this.mappingNotes(indicatorFields, eventFields) };
    const groups = byModule(queries);
    const bucketed = groups.filter((group) => this.indicatorHits(group) <= TOP_HITS_MAX);
    const alone = groups.filter((group) => this.indicatorHits(group) > TOP_HITS_MAX);
    const indicatorChunks = slices(bucketed, MODULES_PER_SEARCH);
    // A module's kills share a chunk unless they are more than a chunk holds.
    const eventChunks = chunksOf(groups.flatMap((group) => slices(group, EVENT_KILLS_PER_SEARCH)), EVENT_KILLS_PER_SEARCH);
    const indicators = { index: this.settings.indicators_index, ignore_unavailable: true, allow_no_indices: true };
    const events = { index: this.settings.module_events_index, ignore_unavailable: true, allow_no_indices: true };
    const searches = [
      ...indicatorChunks.flatMap((chunk) => [indicators, this.indicatorsSearch(chunk, exact.indicators)]),
      ...alone.flatMap((group) => [indicators, this.indicatorSearch(group, exact.indicators)]),
      ...eventChunks.flatMap((chunk) => [events, this.eventsSearch(chunk, exact.events)]),
    ];
    const response = await this.call(() => this.client.msearch({ searches }, { requestTimeout: Math.max(1, deadline - Date.now()) }));
    // A mapping may have changed under a search that failed: look again next round.
    if ((response.responses as { error?: unknown }[]).some((r) => r?.error !== undefined)) this.exactFields.clear();
    const responses = response.responses as unknown[];
    const indicatorsOf = new Map<string, IndicatorHits>([
      ...indicatorChunks.flatMap((chunk, c) => chunk.map((group, m): [string, IndicatorHits] => [group[0]!.module, { response: responses[c], bucket: `m${m}` }])),
      ...alone.map((group, g): [string, IndicatorHits] => [group[0]!.module, { response: responses[indicatorChunks.length + g], bucket: null }]),
    ]);
    const eventsFrom = indicatorChunks.length + alone.length;
    const answers = new Map<string, SiemAnswer>();
    eventChunks.forEach((chunk, c) => {
      chunk.forEach((group, m) => group.forEach((q, i) => answers.set(q.killId, this.answer(q, exact, indicatorsOf.get(q.module)!, responses[eventsFrom + c], m, i))));
    });
    return queries.map((q) => answers.get(q.killId)!);
  }

  async index(documents: readonly SiemDocument[], timeoutMs: number): Promise<void> {
    if (documents.length === 0) return;
    await this.ensureMedicTemplate(timeoutMs);
    // `create`: the first document of an id stands; one already there (409) is written.
    const operations = documents.flatMap((d) => [{ create: { _index: this.settings.medic_index, _id: d.id } }, d.body]);
    const response = await this.call(() => this.client.bulk({ operations, refresh: false }, { requestTimeout: timeoutMs }));
    if (response.errors) {
      const failed = response.items.map((item) => item.create).filter((r) => r?.error && r.status !== 409);
      if (failed.length === 0) return;
      const retriable = failed.some((r) => r!.status === 429 || (r!.status ?? 500) >= 500);
      throw new SiemError(`${failed.length} of ${documents.length} documents were not indexed: ${failed[0]?.error?.reason ?? 'unknown'}`, retriable);
    }
  }

  /**
   * What each field is matched and counted by in `pattern` (see exact-fields),
   * from one `_field_caps` request, kept for a minute: a feed that rolls over
   * to a new index with another mapping is followed within that time.
   */
  private exactFieldsOf(pattern: string, fields: readonly string[], timeoutMs: number): Promise<ReadonlyMap<string, ExactField>> {
    const now = Date.now();
    const wanted = [...new Set(fields)];
    // By pattern and fields: the indicators and the events may well be asked of one pattern.
    const key = JSON.stringify([pattern, wanted]);
    const known = this.exactFields.get(key);
    if (known && now - known.at < EXACT_FIELDS_TTL_MS) return known.fields;
    const found = this.call(() =>
      this.client.fieldCaps({ index: pattern, fields: wanted.flatMap(capsAskedFor), ignore_unavailable: true, allow_no_indices: true }, { requestTimeout: timeoutMs }),
    ).then((caps) => {
      const hasIndices = (Array.isArray(caps.indices) ? caps.indices : [caps.indices]).filter(Boolean).length > 0;
      return new Map(wanted.map((field) => [field, exactField(caps.fields as FieldCaps, field, pattern, { hasIndices, required: field === this.settings.fields.module })]));
    });
    const entry = { at: now, fields: found };
    this.exactFields.set(key, entry);
    // Not kept when it failed: the next round asks again.
    found.catch(() => {
      if (this.exactFields.get(key) === entry) this.exactFields.delete(key);
    });
    return found;
  }

  /**
   * The template of Medic's own index, put once before its first write (again
   * after a failure): ids, categories and verdicts as exact-match keywords
   * (as ECS has them), reasoning and lessons as text, times as dates. The
   * index is Medic's log seen from the SIEM, rebuilt by reprocessing (the
   * event id is the document id), so its translog is synced in the
   * background. Medic writes it far more often than anyone reads it, so its
   * refresh interval is left unset and a shard counts as search idle after
   * 5 s without a search: from then on Elasticsearch skips its refreshes,
   * and the next search waits for one before answering, so an analyst still
   * sees every document written. Refreshed every 5 s, the index took about
   * a quarter of Elasticsearch's time writing decisions in a burst.
   */
  private ensureMedicTemplate(timeoutMs: number): Promise<void> {
    this.medicTemplate ??= this.call(() =>
      this.client.indices.putIndexTemplate(
        {
          name: `medic-index-${this.settings.medic_index.replace(/[^a-z0-9_-]/g, '_')}`,
          index_patterns: [this.settings.medic_index],
          priority: 200,
          // One replica where a node can hold it, none on a single node (where one would keep the cluster yellow for ever).
          template: { settings: { 'search.idle.after': '5s', 'translog.durability': 'async', auto_expand_replicas: '0-1' }, mappings: MEDIC_INDEX_MAPPING },
        },
        { requestTimeout: timeoutMs },
      ),
    ).then(
      () => undefined,
      (error: unknown) => {
        this.medicTemplate = null;
        throw error;
      },
    );
    return this.medicTemplate;
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

  /** Enough hits for each kill of a module to keep its own strongest ones when their windows differ a little. */
  private indicatorHits(group: readonly SiemQuery[]): number {
    return Math.min(1000, this.maxResults * (group.length > 1 ? 2 : 1));
  }

  private indicatorQuery(group: readonly SiemQuery[]): Record<string, unknown> {
    const f = this.settings.fields;
    return {
      size: this.indicatorHits(group),
      sort: [{ [f.indicator_score]: { order: 'desc', unmapped_type: 'double' } }],
      _source: [f.indicator_type, f.indicator_value, f.indicator_score, f.indicator_source, f.indicator_last_seen, f.tags, f.timestamp],
    };
  }

  /**
   * Indicators with a score Medic can use (0–1), and the rest counted: a feed
   * on another scale (0–100) sorts first by score, and would otherwise fill
   * the hits Medic reads and push the real ones out.
   */
  private scored(): { usable: Record<string, unknown>; unusable: Record<string, unknown> } {
    const inRange = { range: { [this.settings.fields.indicator_score]: { gte: 0, lte: 1 } } };
    return { usable: inRange, unusable: { bool: { must_not: [inRange] } } };
  }

  /**
   * A module's indicators with no time at all (or one the index could not
   * read): they fall in no window, and are no less a threat for it. Counted
   * beside the search (a `global` aggregation), which stays bounded to the window.
   */
  private undated(exact: ReadonlyMap<string, ExactField>, module: string): Record<string, unknown> {
    return { filter: { bool: { filter: [this.moduleFilter(exact, [module])], must_not: [{ exists: { field: this.settings.fields.timestamp } }] } } };
  }

  /** A module's indicators in a search of its own: the usable ones as hits, the others counted. */
  private indicatorSearch(group: readonly SiemQuery[], exact: ReadonlyMap<string, ExactField>): Record<string, unknown> {
    const { usable, unusable } = this.scored();
    // The hits are all that is read besides the counts: counting every match would be work for nothing.
    const aggs = { unscored: { filter: unusable }, undated: { global: {}, aggs: { m0: this.undated(exact, group[0]!.module) } } };
    return { ...this.indicatorQuery(group), timeout: '5s', track_total_hits: false, query: this.within(exact, [group[0]!.module], union(group)), post_filter: usable, aggs };
  }

  /** The indicators of a chunk's modules: a bucket per module (by its place in the chunk), each with its strongest usable hits and a count of the others. */
  private indicatorsSearch(chunk: readonly (readonly SiemQuery[])[], exact: ReadonlyMap<string, ExactField>): Record<string, unknown> {
    const { usable, unusable } = this.scored();
    const modules = Object.fromEntries(
      chunk.map((group, m) => [
        `m${m}`,
        { filter: this.within(exact, [group[0]!.module], union(group)), aggs: { usable: { filter: usable, aggs: { top: { top_hits: this.indicatorQuery(group) } } }, unscored: { filter: unusable } } },
      ]),
    );
    const undated = { global: {}, aggs: Object.fromEntries(chunk.map((group, m) => [`m${m}`, this.undated(exact, group[0]!.module)])) };
    return { size: 0, timeout: '5s', track_total_hits: false, query: this.within(exact, chunk.map((group) => group[0]!.module), union(chunk.flat())), aggs: { ...modules, undated } };
  }

  /** The events of a chunk's modules: a bucket per module group (by its place in the chunk), and in it one per kill window. */
  private eventsSearch(chunk: readonly (readonly SiemQuery[])[], exact: ReadonlyMap<string, ExactField>): Record<string, unknown> {
    const f = this.settings.fields;
    // A field that cannot be counted is left out of the search (and named in each answer), not allowed to fail it.
    const usable = (field: string): string | null => (exact.get(field)?.problem ? null : (exact.get(field)?.name ?? field));
    const terms = (field: string, size: number) => {
      const name = usable(field);
      return name === null ? undefined : { terms: { field: name, size } };
    };
    const [tags, action] = [usable(f.tags), usable(f.event_action)];
    const perKill = withoutUndefined({
      actions: terms(f.event_action, 10),
      outcomes: terms(f.event_outcome, 5),
      // Kills an analyst marked false: the other events of a marked incident are not kills of their own.
      false_positives:
        tags === null || action === null
          ? undefined
          : { filter: { bool: { filter: [{ term: { [tags]: this.settings.false_positive_tag } }, { terms: { [action]: this.settings.kill_actions } }] } } },
      source_ips: terms(f.source_ip, 5),
      destination_ips: terms(f.destination_ip, 5),
      users: terms(f.user, 5),
    });
    const modules = Object.fromEntries(
      chunk.map((group, m) => [
        `m${m}`,
        {
          filter: this.moduleFilter(exact, [group[0]!.module]),
          aggs: {
            windows: {
              // One bucket per kill, keyed by its place in the group; `to` is exclusive in a date_range.
              date_range: { field: f.timestamp, keyed: true, ranges: group.map((q, i) => ({ key: String(i), from: q.from, to: new Date(Date.parse(q.to) + 1).toISOString() })) },
              aggs: perKill,
            },
          },
        },
      ]),
    );
    return {
      size: 0,
      timeout: '5s',
      track_total_hits: false,
      query: this.within(exact, [...new Set(chunk.map((group) => group[0]!.module))], union(chunk.flat())),
      aggs: modules,
    };
  }

  /** Documents of these modules within [from, to], as filters (values, never query text). */
  private within(exact: ReadonlyMap<string, ExactField>, modules: readonly string[], { from, to }: { from: string; to: string }): Record<string, unknown> {
    return { bool: { filter: [this.moduleFilter(exact, modules), { range: { [this.settings.fields.timestamp]: { gte: from, lte: to } } }] } };
  }

  /**
   * Documents of these modules, by the module field's exact name. Where that is
   * the `.keyword` sub-field, the field itself is asked too: an index of the
   * pattern that maps it as keyword (and has no sub-field) still answers.
   */
  private moduleFilter(exact: ReadonlyMap<string, ExactField>, modules: readonly string[]): Record<string, unknown> {
    const field = this.settings.fields.module;
    const names = [...new Set([exact.get(field)?.name ?? field, field])];
    const byName = (name: string) => (modules.length === 1 ? { term: { [name]: modules[0] } } : { terms: { [name]: modules } });
    return names.length === 1 ? byName(names[0]!) : { bool: { should: names.map(byName), minimum_should_match: 1 } };
  }

  /** What the round's mappings keep from every kill's answer, found once for the round. */
  private mappingNotes(indicators: ReadonlyMap<string, ExactField>, events: ReadonlyMap<string, ExactField>): MappingNote[] {
    const moduleField = this.settings.fields.module;
    const notes: MappingNote[] = [];
    for (const [where, fields] of [['indicators', indicators], ['module_events', events]] as const) {
      for (const [field, { problem, partial }] of fields) {
        // Without the module's own documents nothing of the pattern is known; without a count, only that count.
        if (problem !== null && field === moduleField) notes.push({ where, why: problem, fails: true });
        else if (problem !== null) notes.push({ where: `${where}.${field}`, why: problem, fails: false });
        // The module's documents are matched by both names, so only the counts can be partial.
        else if (partial !== null && field !== moduleField) notes.push({ where: `${where}.${field}`, why: partial, fails: false });
      }
    }
    return notes;
  }

  private answer(q: SiemQuery, exact: Exact, indicatorsFrom: IndicatorHits, eventsResponse: unknown, module: number, index: number): SiemAnswer {
    const ignored = new Ignored();
    for (const note of exact.notes) {
      if (note.fails) ignored.fail(note.where, note.why);
      else ignored.add(note.where, note.why);
    }
    const indicators: ThreatIndicator[] = [];
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    const { hits, unscored, undated } = indicatorsFrom.bucket === null ? searchHits(indicatorsFrom.response, 'indicators', ignored) : bucketHits(indicatorsFrom.response, indicatorsFrom.bucket, ignored);
    if (unscored > 0) ignored.add('indicators', `${unscored} in the module's window with a ${this.settings.fields.indicator_score} missing or outside 0–1, not used`);
    if (undated > 0) ignored.add('indicators', `${undated} of the module's with no ${this.settings.fields.timestamp}, in no window, not used`);
    let unusable = unscored + undated;
    hits.forEach((hit, i) => {
      const source = (hit as { _source?: unknown })._source;
      // The search covered the union of the group's windows: this kill keeps what falls in its own.
      const at = fieldOf(source, this.settings.fields.timestamp);
      const time = typeof at === 'string' || typeof at === 'number' ? new Date(at).getTime() : Number.NaN;
      if (!Number.isNaN(time) && (time < from || time > to)) return;
      if (indicators.length >= this.maxResults) return;
      const indicator = readIndicator(source, i, this.fields, ignored);
      if (indicator) indicators.push(indicator);
      else unusable += 1;
    });
    const ofModule = searchAggregations(eventsResponse, 'module_events', ignored)[`m${module}`] as { windows?: { buckets?: Record<string, unknown> } } | undefined;
    const window = ofModule?.windows?.buckets?.[String(index)] ?? {};
    const aggs = window as Record<string, unknown>;
    const total = readCount(aggs, 'module_events.total', ignored);
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
      failed: ignored.failed,
      indicators,
      falsePositives: readCount(aggs['false_positives'], 'module_events.false_positives', ignored),
      historicalBehavior,
      networkContext,
      userContext: Object.keys(users).length > 0 ? { users } : null,
      ignored: ignored.list(),
      unusableIndicators: unusable,
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

type SearchError = { reason?: unknown; caused_by?: SearchError; root_cause?: SearchError[] };

/**
 * One search's answer in an msearch. A search that failed, or that some of
 * its shards could not answer, answers nothing: its part of the answer is
 * unknown, not empty (a clean record is exactly what it would otherwise say),
 * and the kill's context counts as unavailable (see `failed`).
 */
export function answered(response: unknown, where: string, ignored: Ignored): { hits?: { hits?: unknown }; aggregations?: unknown } | undefined {
  const r = response as { error?: SearchError; timed_out?: unknown; _shards?: { failed?: unknown; failures?: { reason?: SearchError }[] }; hits?: { hits?: unknown }; aggregations?: unknown } | undefined;
  const failedShards = typeof r?._shards?.failed === 'number' ? r._shards.failed : 0;
  const failure =
    r === undefined || r === null
      ? 'no answer to its search'
      : r.error
        ? `its search failed: ${reasonOf(r.error)}`
        : failedShards > 0
          ? `${failedShards} shards of its search failed: ${reasonOf(r._shards?.failures?.[0]?.reason ?? {})}`
          : r.timed_out === true
            ? 'its search timed out, with what it had found by then'
            : null;
  if (failure === null) return r;
  ignored.fail(where, failure);
  return undefined;
}

interface IndicatorHitList {
  readonly hits: unknown[];
  /** Indicators in the window whose score is missing or outside 0–1. */
  readonly unscored: number;
  /** Indicators of the module with no time (or one the index could not read). */
  readonly undated: number;
}

/** The hits of one search of an msearch; a failed search has none (and is named as failed). */
function searchHits(response: unknown, where: string, ignored: Ignored): IndicatorHitList {
  const r = answered(response, where, ignored);
  const hits = r?.hits?.hits;
  const aggregations = r?.aggregations as { unscored?: unknown; undated?: { m0?: unknown } } | undefined;
  return { hits: Array.isArray(hits) ? hits : [], unscored: countOf(aggregations?.unscored), undated: countOf(aggregations?.undated?.m0) };
}

/** The hits of a module's top_hits bucket in a search of several modules. */
function bucketHits(response: unknown, bucket: string, ignored: Ignored): IndicatorHitList {
  const aggregations = searchAggregations(response, 'indicators', ignored);
  const ofModule = aggregations[bucket] as { usable?: { top?: { hits?: { hits?: unknown } } }; unscored?: unknown } | undefined;
  const hits = ofModule?.usable?.top?.hits?.hits;
  return { hits: Array.isArray(hits) ? hits : [], unscored: countOf(ofModule?.unscored), undated: countOf((aggregations['undated'] as Record<string, unknown> | undefined)?.[bucket]) };
}

function countOf(aggregation: unknown): number {
  const n = (aggregation as { doc_count?: unknown } | undefined)?.doc_count;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

function searchAggregations(response: unknown, where: string, ignored: Ignored): Record<string, unknown> {
  const aggregations = answered(response, where, ignored)?.aggregations;
  return typeof aggregations === 'object' && aggregations !== null ? (aggregations as Record<string, unknown>) : {};
}

/** The most telling reason Elasticsearch gave: the root cause's, or the error's own, or what caused it. */
function reasonOf(error: SearchError): string {
  const reasons = [error.root_cause?.[0]?.reason, error.reason, error.caused_by?.reason].filter((r): r is string => typeof r === 'string' && r.trim() !== '');
  return reasons.length > 0 ? reasons[0]!.slice(0, 300) : 'no reason given';
}

/** Where a module's indicators are in the answer: a search of its own, or its bucket in a search of several. */
interface IndicatorHits {
  readonly response: unknown;
  readonly bucket: string | null;
}

/** The exact field names per pattern of one round, and what they keep from each answer. */
interface Exact {
  readonly indicators: ReadonlyMap<string, ExactField>;
  readonly events: ReadonlyMap<string, ExactField>;
  readonly notes: readonly MappingNote[];
}

/** A field the mappings keep Medic from reading: named in each answer, and failing it when it is the module's. */
interface MappingNote {
  readonly where: string;
  readonly why: string;
  readonly fails: boolean;
}

/** How long what `_field_caps` said of a pattern is trusted. */
const EXACT_FIELDS_TTL_MS = 60_000;

function withoutUndefined<T extends Record<string, unknown>>(o: T): Record<string, NonNullable<T[keyof T]>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<string, NonNullable<T[keyof T]>>;
}

/** The most hits a top_hits bucket gives (Elasticsearch's index.max_inner_result_window, 100 unless an index says otherwise). */
const TOP_HITS_MAX = 100;

/** How many modules one indicators search asks about. */
const MODULES_PER_SEARCH = 100;

/** How many kills one events search asks about: each is some thirty buckets, well under Elasticsearch's search.max_buckets. */
const EVENT_KILLS_PER_SEARCH = 500;

/** The queries by module, in the order the modules first come. */
export function byModule(queries: readonly SiemQuery[]): SiemQuery[][] {
  const groups = new Map<string, SiemQuery[]>();
  for (const q of queries) {
    const group = groups.get(q.module);
    if (group) group.push(q);
    else groups.set(q.module, [q]);
  }
  return [...groups.values()];
}

/** A list in slices of at most `size`: a module's kills, or the modules of a round. */
export function slices<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Module groups in chunks of at most `kills` kills (no group holds more). */
export function chunksOf(groups: readonly SiemQuery[][], kills: number): SiemQuery[][][] {
  const chunks: SiemQuery[][][] = [];
  let current: SiemQuery[][] = [];
  let size = 0;
  for (const group of groups) {
    if (size > 0 && size + group.length > kills) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(group);
    size += group.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The window that covers every kill of a group. */
function union(group: readonly SiemQuery[]): { from: string; to: string } {
  const froms = group.map((q) => q.from).sort();
  const tos = group.map((q) => q.to).sort();
  return { from: froms[0]!, to: tos[tos.length - 1]! };
}
