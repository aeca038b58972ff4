import { Client } from 'pg';
import type { MedicUnderTest } from '@medic/testing';
import { produce, randomKill } from './load';
import { percentile } from '../stats';

/**
 * REST reads (spec 12: API response time p99 under 100 ms, 500 ms at worst):
 * the gateway's list and detail endpoints over a projection of many decided
 * kills, one request after another, first with nothing else going on and then
 * while kills keep flowing. Each list and detail figure stands beside the bare
 * Postgres queries that answer the same question on the same rows (what the
 * gateway adds: HTTP, the API key, Nest, TypeORM, JSON), and every figure
 * beside raw Kafka's p99 from the same run.
 */

export interface ApiReadSettings {
  /** Kills decided before the reads start (the projection's size). */
  readonly kills: number;
  /** Requests per endpoint and phase. */
  readonly requests: number;
  /** Kills per second flowing during the second phase. */
  readonly rate: number;
  /** Distinct modules the kills are spread over. */
  readonly modules: number;
}

interface Probe {
  readonly name: string;
  /** The request's path under /api/v1; `i` varies it (a decision id, a page). */
  readonly path: (i: number) => string;
  /** The same question asked of Postgres directly, as the gateway asks it; null when there is no single query to compare with. */
  readonly bare: ((db: Client, i: number) => Promise<unknown>) | null;
}

interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const KILLS_SQL = 'SELECT * FROM gateway.kills k';

/** Times `n` calls of `call`, one after another, after a few untimed ones. */
async function timed(n: number, call: (i: number) => Promise<void>): Promise<Latency> {
  for (let i = 0; i < 5; i++) await call(i);
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    took.push(performance.now() - t);
  }
  took.sort((a, b) => a - b);
  return { p50: percentile(took, 50), p99: percentile(took, 99), max: took[took.length - 1] ?? Number.NaN };
}

/** Kills produced at `rate` per second until stopped; resolves to how many were sent. */
function flow(medic: MedicUnderTest, rate: number, modules: number): { stop(): Promise<number> } {
  const producer = medic.kafka.producer({ allowAutoTopicCreation: false });
  let stopped = false;
  const run = (async () => {
    await producer.connect();
    const start = performance.now();
    const chunk = Math.max(1, Math.round(rate / 100));
    let sent = 0;
    while (!stopped) {
      const wait = start + (sent / rate) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const messages = Array.from({ length: chunk }, () => randomKill(modules));
      await producer.send({ topic: medic.topics.smith, acks: -1, messages });
      sent += chunk;
    }
    await producer.disconnect();
    return sent;
  })();
  return {
    stop: async () => {
      stopped = true;
      return run;
    },
  };
}

export async function apiReads(medic: MedicUnderTest, s: ApiReadSettings, rawP99: number): Promise<string[]> {
  await produce(medic, medic.topics.smith, s.kills, 0, () => randomKill(s.modules));

  type Page = { data: { items: { decision_id: string }[]; pagination: { total: number; total_pages: number } } };
  const deadline = Date.now() + 600_000;
  for (;;) {
    const total = (await medic.get<Page>('/decisions?page_size=1')).body.data.pagination.total;
    if (total >= s.kills) break;
    if (Date.now() > deadline) throw new Error(`timed out: the decisions projection holds ${total} of ${s.kills} decisions`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const db = new Client({ connectionString: medic.databaseUrl });
  await db.connect();
  try {
    const ids = (await db.query<{ decision_id: string }>(`SELECT decision_id FROM gateway.kills WHERE decision_id IS NOT NULL ORDER BY random() LIMIT 1000`)).rows.map((r) => r.decision_id);
    const pending = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM gateway.kills WHERE approval_status = 'pending'`)).rows[0]!.n);
    const pages = Math.max(1, Math.floor(s.kills / 50));
    const decided = 'k.decision_id IS NOT NULL';
    const newest = 'k.decided_at DESC, k.decision_id ASC';
    const probes: Probe[] = [
      { name: 'GET /decisions', path: () => '/decisions?page_size=50', bare: (c) => listPage(c, decided, newest) },
      { name: 'GET /decisions?page=N', path: (i) => `/decisions?page_size=50&page=${1 + (i % pages)}`, bare: (c, i) => listPage(c, decided, newest, [], (i % pages) * 50) },
      { name: 'GET /decisions?module=M', path: (i) => `/decisions?page_size=50&module=mod-${i % s.modules}`, bare: (c, i) => listPage(c, `${decided} AND k.target_module = $1`, newest, [`mod-${i % s.modules}`]) },
      { name: 'GET /decisions/{id}', path: (i) => `/decisions/${ids[i % ids.length]}`, bare: (c, i) => c.query(`${KILLS_SQL} WHERE k.decision_id = $1`, [ids[i % ids.length]]) },
      { name: 'GET /queue', path: () => '/queue?page_size=50', bare: (c) => listPage(c, `k.approval_status = 'pending'`, 'k.approval_expires_at ASC, k.approval_queue_item_id ASC') },
      { name: 'GET /modules', path: () => '/modules?page_size=50', bare: null },
      { name: 'GET /health', path: () => '/health', bare: null },
      { name: 'GET /status', path: () => '/status', bare: null },
    ];
    const call = (probe: Probe) => async (i: number) => {
      const res = await medic.get(`${probe.path(i)}`);
      // /health answers 503 only when unhealthy; every other read here must be a 200.
      if (res.status !== 200) throw new Error(`${probe.name} answered ${res.status}: ${JSON.stringify(res.body)}`);
    };
    const lines = [`REST reads:                  over ${s.kills} decided kills (${pending} waiting in the queue), ${s.requests} requests per endpoint, one at a time (rate limit off); spec 12 aims at p99 < 100 ms`];
    const phase = async (title: string): Promise<void> => {
      lines.push(`  ${title}`);
      for (const probe of probes) {
        const api = await timed(s.requests, call(probe));
        const bare = probe.bare === null ? null : await timed(s.requests, async (i) => void (await probe.bare!(db, i)));
        const beside = bare === null ? '' : `; bare Postgres p50 ${bare.p50.toFixed(1)} ms, p99 ${bare.p99.toFixed(1)} ms (API p99 ${(api.p99 / bare.p99).toFixed(1)}×)`;
        lines.push(`    ${probe.name.padEnd(25)}p50 ${api.p50.toFixed(1)} ms, p99 ${api.p99.toFixed(1)} ms (${(api.p99 / rawP99).toFixed(1)}× raw Kafka p99), max ${api.max.toFixed(1)} ms${beside}`);
      }
    };
    await phase('nothing else going on:');
    const load = flow(medic, s.rate, s.modules);
    const t0 = performance.now();
    try {
      await phase(`while kills flow at ${s.rate}/s:`);
    } finally {
      const sent = await load.stop();
      lines.push(`  (${sent} kills sent in the ${((performance.now() - t0) / 1000).toFixed(0)} s of reads under load)`);
    }
    return lines;
  } finally {
    await db.end();
  }
}

/** A page of 50 and the count of all, as the gateway's pagination asks them. */
async function listPage(c: Client, where: string, order: string, params: unknown[] = [], offset = 0): Promise<void> {
  await c.query(`${KILLS_SQL} WHERE ${where} ORDER BY ${order} LIMIT 50 OFFSET ${offset}`, params);
  await c.query(`SELECT count(*) FROM gateway.kills k WHERE ${where}`, params);
}
