import Docker from 'dockerode';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureTargetImage, startContainerEngine, type ContainerEngineHandle } from '@medic/devstack';
import type { KillEvent } from '@medic/domain';
import { eventually, freeze, killEventsOf, killReport, moduleContainer, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';

type Health = { data?: { status: string; checks: Record<string, string>; steps: Record<string, { status: string; dead_letters_last_hour: number | null }> } };

/*
 * A container engine that stops answering (its process frozen with SIGSTOP,
 * as a wedged daemon would be): /health says so within its bound, a kill
 * approved meanwhile waits instead of failing or being dead-lettered, and is
 * brought back exactly once when the engine answers again. The same for an
 * engine that answers its listings with HTTP 500 for a while: Medic reaches
 * the engine through a pass-through proxy on a socket of the test's, which
 * can answer them so. And an engine failing to describe one container (HTTP
 * 500 on its inspection): a refused attempt, tried again after its wait.
 */
describe('a container engine that does not answer', () => {
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  let containerId: string;
  let enginePid: number;
  let proxy: Server;
  let failListings = false;
  let failedListings = 0;
  /** A container whose inspections the proxy answers with a 500, and how many it answered so. */
  let failInspectOf: string | null = null;
  let failedInspections = 0;
  const previousDockerHost = process.env.DOCKER_HOST;

  /** Passes every call on to the engine, but answers listings with a 500 while `failListings` holds. */
  function engineProxy(socket: string): Server {
    return createServer((req, res) => {
      if (failListings && req.method === 'GET' && /^(\/v[\d.]+)?\/containers\/json/.test(req.url ?? '')) {
        failedListings++;
        req.resume();
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'container storage is locked', cause: 'locked', response: 500 }));
        return;
      }
      const inspected = /^(?:\/v[\d.]+)?\/containers\/([^/]+)\/json/.exec(req.url ?? '')?.[1];
      if (failInspectOf !== null && req.method === 'GET' && inspected !== undefined && failInspectOf.startsWith(inspected)) {
        failedInspections++;
        req.resume();
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'layer storage of this container is corrupt', cause: 'corrupt', response: 500 }));
        return;
      }
      const upstream = request({ socketPath: engine.socket, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }).listen(socket);
  }

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-hung-')) });
    if (!engine.server) throw new Error('this test freezes the engine process, so it needs one of its own: unset DOCKER_HOST');
    enginePid = engine.server.current().pid;
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    containerId = (await moduleContainer(docker, 'wedged-svc')).id;
    const proxied = join(mkdtempSync(join(tmpdir(), 'medic-hung-proxy-')), 'engine.sock');
    proxy = engineProxy(proxied);
    await once(proxy, 'listening');
    process.env.DOCKER_HOST = `unix://${proxied}`;
    medic = await startMedic({
      services: ['listener', 'decision', 'executor', 'gateway'],
      // The test sees the first refusal before the second attempt is due (2 s) and lets the engine answer again.
      config: { mode: { current: 'semi_auto' }, decision: { auto_approve: { enabled: true } }, resurrection: { engine_timeout_seconds: 1.5 } },
    });
  });
  afterAll(async () => {
    if (enginePid) process.kill(enginePid, 'SIGCONT');
    await medic?.stop();
    proxy?.closeAllConnections();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  const health = () => medic.get<Health>('/health', {});

  /** Smith's kill of the module, decided; then, `waitMs` later, its events so far. */
  async function decidedThenWaited(waitMs: number): Promise<{ killId: string; meanwhile: string[] }> {
    const r = killReport({ target_module: 'wedged-svc' });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'DecisionMade'), `the decision on ${r.kill_id}`, 30_000);
    await delay(waitMs);
    const meanwhile = (await killEventsOf(medic, r.kill_id, () => true, 'the kill so far', 5_000)).map((e) => e.type);
    return { killId: r.kill_id, meanwhile };
  }

  it('is reported by /health, and an approved kill waits for it, then is brought back once', async () => {
    expect((await health()).body.data!.checks['container_engine']).toBe('ok');

    await freeze(enginePid);
    let killId: string;
    try {
      const asked = Date.now();
      const frozen = await health();
      expect(Date.now() - asked).toBeLessThan(6_000);
      expect(frozen.status).toBe(200);
      expect(frozen.body.data).toMatchObject({ status: 'degraded', checks: { container_engine: 'error', database: 'ok', kafka: 'ok' } });

      // Long enough for the executor's calls on the engine to time out several times over.
      const decided = await decidedThenWaited(8_000);
      killId = decided.killId;
      expect(decided.meanwhile).not.toContain('ResurrectionFailed');
      expect(decided.meanwhile).not.toContain('ResurrectionSucceeded');
      // Nothing was given up on: the executor retries, it does not dead-letter.
      expect((await health()).body.data!.steps['executor']).toEqual({ status: 'ok', dead_letters_last_hour: 0 });
    } finally {
      process.kill(enginePid, 'SIGCONT');
    }

    const done = (es: readonly KillEvent[]) => es.some((e) => e.type === 'ResurrectionSucceeded' || e.type === 'ResurrectionFailed');
    const log = await killEventsOf(medic, killId, done, `the resurrection of ${killId}`, 90_000);
    const types = log.map((e) => e.type);
    expect(types.filter((t) => t === 'ResurrectionStarted')).toHaveLength(1);
    expect(types.filter((t) => t === 'ResurrectionSucceeded')).toHaveLength(1);
    expect(types).not.toContain('ResurrectionFailed');
    expect((await docker.getContainer(containerId).inspect()).State.Running).toBe(true);
    expect((await health()).body.data).toMatchObject({ status: 'healthy', checks: { container_engine: 'ok' } });
  });

  it('takes an engine failing its listings (HTTP 500) for one that does not answer: the approved kill waits, then comes back once', async () => {
    if ((await docker.getContainer(containerId).inspect()).State.Running) await docker.getContainer(containerId).stop({ t: 1 });
    failListings = true;
    let killId: string;
    try {
      const decided = await decidedThenWaited(6_000);
      killId = decided.killId;
      expect(decided.meanwhile).not.toContain('ResurrectionStarted');
      expect(decided.meanwhile).not.toContain('ResurrectionFailed');
      // Tried again and again, never given up on.
      expect(failedListings).toBeGreaterThanOrEqual(3);
      expect((await health()).body.data!.steps['executor']).toEqual({ status: 'ok', dead_letters_last_hour: 0 });
    } finally {
      failListings = false;
    }
    const done = (es: readonly KillEvent[]) => es.some((e) => e.type === 'ResurrectionSucceeded' || e.type === 'ResurrectionFailed');
    const types = (await killEventsOf(medic, killId, done, `the resurrection of ${killId}`, 90_000)).map((e) => e.type);
    expect(types.filter((t) => t === 'ResurrectionStarted')).toHaveLength(1);
    expect(types.filter((t) => t === 'ResurrectionSucceeded')).toHaveLength(1);
    expect(types).not.toContain('ResurrectionFailed');
    expect((await docker.getContainer(containerId).inspect()).State.Running).toBe(true);
  });

  it('takes a container the engine fails to describe (HTTP 500 on its inspection) for a refused attempt: tried again after its wait, never dead-lettered', async () => {
    if ((await docker.getContainer(containerId).inspect()).State.Running) await docker.getContainer(containerId).stop({ t: 1 });
    const r = killReport({ target_module: 'wedged-svc' });
    failInspectOf = containerId;
    let refused: KillEvent;
    try {
      await medic.publishRaw(smithMessage(r), r.kill_id);
      const soFar = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'ResurrectionFailed'), `the refusal of ${r.kill_id}`, 30_000);
      refused = soFar.find((e) => e.type === 'ResurrectionFailed')!;
    } finally {
      failInspectOf = null;
    }
    expect(failedInspections).toBeGreaterThanOrEqual(1);
    expect(refused).toMatchObject({ attempt: 1, retriable: true, targetModule: 'wedged-svc' });
    expect((refused as { reason: string }).reason).toContain(`the container engine failed to describe container ${containerId}`);
    expect((refused as { reason: string }).reason).toContain('layer storage of this container is corrupt');

    const done = (es: readonly KillEvent[]) => es.some((e) => e.type === 'ResurrectionSucceeded');
    const log = await killEventsOf(medic, r.kill_id, done, `the resurrection of ${r.kill_id}`, 60_000);
    // The wait before attempt 2 was the kill workflow's timer, not a sleep in the executor.
    const resumed = log.find((e) => e.type === 'ResurrectionResumed');
    expect(resumed).toMatchObject({ attempt: 2, resumedBy: 'timer:retry' });
    expect(Date.parse(resumed!.at) - Date.parse(refused.at)).toBeGreaterThanOrEqual(2_000);
    const starts = log.filter((e) => e.type === 'ResurrectionStarted');
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ attempt: 2 });
    expect(log.filter((e) => e.type === 'ResurrectionSucceeded')).toHaveLength(1);
    expect((await docker.getContainer(containerId).inspect()).State.Running).toBe(true);
    // The kill's record was never given up on, and /resurrections shows the refused attempt beside the one made.
    expect((await health()).body.data!.steps['executor']).toEqual({ status: 'ok', dead_letters_last_hour: 0 });
    type Item = { kill_id: string; attempt: number; status: string };
    const requests = await eventually(async () => {
      const res = await medic.get<{ data: { items: Item[] } }>('/resurrections?module=wedged-svc&page_size=200');
      const mine = (res.body.data?.items ?? []).filter((i) => i.kill_id === r.kill_id);
      return mine.some((i) => i.status === 'completed') ? mine : undefined;
    }, 'both requests of the kill on /resurrections');
    expect(requests.map((q) => [q.attempt, q.status]).sort()).toEqual([
      [1, 'failed'],
      [2, 'completed'],
    ]);
  });
});
