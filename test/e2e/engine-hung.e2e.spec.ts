import Docker from 'dockerode';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureTargetImage, startContainerEngine, type ContainerEngineHandle } from '@medic/devstack';
import type { KillEvent } from '@medic/domain';
import { freeze, killEventsOf, killReport, moduleContainer, smithMessage, startMedic, type MedicUnderTest } from '@medic/testing';

type Health = { data?: { status: string; checks: Record<string, string>; steps: Record<string, { status: string; dead_letters_last_hour: number | null }> } };

/*
 * A container engine that stops answering (its process frozen with SIGSTOP,
 * as a wedged daemon would be): /health says so within its bound, a kill
 * approved meanwhile waits instead of failing or being dead-lettered, and is
 * brought back exactly once when the engine answers again.
 */
describe('a container engine that does not answer', () => {
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  let containerId: string;
  let enginePid: number;
  const previousDockerHost = process.env.DOCKER_HOST;

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-hung-')) });
    if (!engine.server) throw new Error('this test freezes the engine process, so it needs one of its own: unset DOCKER_HOST');
    enginePid = engine.server.current().pid;
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    containerId = (await moduleContainer(docker, 'wedged-svc')).id;
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await startMedic({
      services: ['listener', 'decision', 'executor', 'gateway'],
      config: { mode: { current: 'semi_auto' }, decision: { auto_approve: { enabled: true } }, resurrection: { engine_timeout_seconds: 1.5 } },
    });
  });
  afterAll(async () => {
    if (enginePid) process.kill(enginePid, 'SIGCONT');
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  const health = () => medic.get<Health>('/health', {});

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

      const r = killReport({ target_module: 'wedged-svc' });
      killId = r.kill_id;
      await medic.publishRaw(smithMessage(r), r.kill_id);
      await killEventsOf(medic, killId, (es) => es.some((e) => e.type === 'DecisionMade'), `the decision on ${killId}`, 30_000);
      // Long enough for the executor's calls on the engine to time out several times over.
      await delay(8_000);
      const meanwhile = await killEventsOf(medic, killId, () => true, 'the kill so far', 5_000);
      expect(meanwhile.map((e) => e.type)).not.toContain('ResurrectionFailed');
      expect(meanwhile.map((e) => e.type)).not.toContain('ResurrectionSucceeded');
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
});
