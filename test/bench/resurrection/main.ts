/**
 * Resurrection benchmark, on a real container engine (podman's Docker API), Kafka and Postgres:
 *   (a) approval-to-running latency: an operator approves a pending kill over REST and the
 *       container runs again — beside a bare dockerode start of the same container, rounds
 *       interleaved so both see the same machine (BENCH_ROUNDS, default 50);
 *   (b) a burst of BENCH_BURST_MODULES (default 50) modules killed at once in full_auto (budget
 *       raised) until all run again — beside the same number of bare starts in parallel.
 * Every time is measured to the engine's own StartedAt of the container, so polling adds nothing.
 */
import 'reflect-metadata';
import { dropKnownWarnings } from '@medic/observability';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ensureTargetImage, startContainerEngine, startStack, TARGET_IMAGE, type ContainerEngineHandle, type StackHandle } from '@medic/devstack';
import { eventually, killReport, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';
import { percentile } from '../stats';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const BURST_MODULES = Number(process.env.BENCH_BURST_MODULES ?? 50);
/** Which parts to run: a, b or both (default). */
const PARTS = (process.env.BENCH_PARTS ?? 'a,b').split(',');

type Container = Docker.Container;

async function startedAt(c: Container): Promise<number | null> {
  const s = (await c.inspect()).State;
  return s.Running ? Date.parse(s.StartedAt) : null;
}

/** Waits (polling the engine) until the container runs with a start after `after`; returns that start. */
async function runningSince(c: Container, after: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await startedAt(c);
    if (at !== null && at >= after) return at;
    if (Date.now() > deadline) throw new Error(`container ${c.id.slice(0, 12)} not running again within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function stopped(c: Container): Promise<void> {
  await c.stop({ t: 1 }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 304) throw error;
  });
}

async function target(docker: Docker, name: string): Promise<Container> {
  const c = await docker.createContainer({ Image: TARGET_IMAGE, name, Labels: { 'medic.module': name } });
  await c.start();
  await stopped(c);
  return c;
}

const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
const times = (x: number, of: number) => (of > 0 ? `${(x / of).toFixed(2)}×` : 'n/a');

interface QueuePage {
  data: { items: { item_id: string; kill_id: string }[] } | null;
}

/** (a): each round stops the container, starts it bare, stops it, then has Medic bring it back on an approval. */
async function approvalToRunning(docker: Docker, medic: MedicUnderTest): Promise<string[]> {
  const c = await target(docker, 'bench-approval');
  const bare: number[] = [];
  const viaMedic: number[] = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    await stopped(c);
    const t0 = Date.now();
    await c.start();
    bare.push((await runningSince(c, t0)) - t0);
    await stopped(c);

    const report = killReport({ target_module: 'bench-approval' });
    await medic.publishRaw(smithMessage(report), report.kill_id);
    const item = await eventually(async () => {
      const page = await medic.get<QueuePage>('/queue?module=bench-approval&page_size=200');
      return page.body.data?.items.find((it) => it.kill_id === report.kill_id);
    }, `the queue item of kill ${report.kill_id}`);
    const t1 = Date.now();
    const answer = await medic.call('POST', `/queue/${item.item_id}/approve`, { body: { notes: 'bench' } });
    if (answer.status !== 200) throw new Error(`approve answered ${answer.status}`);
    viaMedic.push((await runningSince(c, t1)) - t1);
  }
  const b = summary(bare);
  const m = summary(viaMedic);
  return [
    `(a) approval to running, ${ROUNDS} rounds (approve POST sent → the container's StartedAt):`,
    `    bare dockerode start:      p50 ${ms(b.p50)}, p99 ${ms(b.p99)}, max ${ms(b.max)}`,
    `    Medic (REST → log → executor → engine): p50 ${ms(m.p50)}, p99 ${ms(m.p99)}, max ${ms(m.max)}`,
    `    Medic adds:                p50 ${ms(m.p50 - b.p50)}, p99 ${ms(m.p99 - b.p99)} (aim ≤ 300 ms); ratio p50 ${times(m.p50, b.p50)}, p99 ${times(m.p99, b.p99)}`,
  ];
}

/** (b): every module killed at once (full_auto) until all run again, beside as many bare starts in parallel. */
async function burst(docker: Docker, medic: MedicUnderTest, containers: Container[]): Promise<string[]> {
  await Promise.all(containers.map(stopped));
  const t0 = Date.now();
  await Promise.all(containers.map((c) => c.start()));
  const bare = Math.max(...(await Promise.all(containers.map((c) => runningSince(c, t0))))) - t0;
  await Promise.all(containers.map(stopped));

  const reports = containers.map((_, i) => killReport({ target_module: `bench-burst-${i}` }));
  const t1 = Date.now();
  await Promise.all(reports.map((r) => medic.publishRaw(smithMessage(r), r.kill_id)));
  const viaMedic = Math.max(...(await Promise.all(containers.map((c) => runningSince(c, t1, 120_000))))) - t1;
  return [
    `(b) burst of ${containers.length} modules, until all run again:`,
    `    bare dockerode, ${containers.length} starts in parallel: ${ms(bare)}`,
    `    Medic, ${containers.length} kills at once (full_auto):  ${ms(viaMedic)} = ${times(viaMedic, bare)} the bare starts (Medic adds ${ms(viaMedic - bare)})`,
  ];
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'medic-bench-res-'));
  let stack: StackHandle | null = null;
  let engine: ContainerEngineHandle | null = null;
  let medic: MedicUnderTest | null = null;
  try {
    [stack, engine] = await Promise.all([startStack({ workDir, log: (l) => console.log(`  ${l}`) }), startContainerEngine({ workDir, log: (l) => console.log(`  ${l}`) })]);
    process.env.MEDIC_TEST_KAFKA_BROKERS = stack.kafka.brokers;
    process.env.MEDIC_TEST_DATABASE_URL = stack.postgres.url;
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    await ensureTargetImage(engine);
    const docker = new Docker({ socketPath: engine.socket });
    console.log(`machine: ${(await import('node:os')).cpus().length} cores; Kafka, Postgres, podman and the services share it`);

    if (PARTS.includes('a')) {
      medic = await startMedic({ services: ['listener', 'decision', 'executor', 'gateway'], config: { mode: { current: 'manual' } } });
      for (const line of await approvalToRunning(docker, medic)) console.log(line);
      await medic.stop();
      medic = null;
    }
    if (!PARTS.includes('b')) return;

    const containers = await Promise.all(Array.from({ length: BURST_MODULES }, (_, i) => target(docker, `bench-burst-${i}`)));
    // The burst is the point here: the hourly budget and the kill-burst breaker would send most of it to a human.
    medic = await startMedic({
      services: ['listener', 'decision', 'executor'],
      config: { mode: { current: 'full_auto' }, decision: { auto_approve: { enabled: true } }, constraints: { max_auto_resurrections_per_hour: 100_000, kill_burst: { max_kills: 0 } } },
    });
    for (const line of await burst(docker, medic, containers)) console.log(line);
  } finally {
    await medic?.stop();
    await engine?.stop();
    await stack?.stop();
  }
}

dropKnownWarnings();
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
