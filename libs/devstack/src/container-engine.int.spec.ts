// The dev stack's container engine, driven the way the executor will drive it: dockerode over
// the Docker Engine API, on the target image built from busybox, with a real published port.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startContainerEngine, type ContainerEngineHandle } from './container-engine';
import { DevstackError } from './errors';
import { ensureTargetImage, TARGET_HEALTH_PATH, TARGET_PORT, type TargetImage } from './target-image';
import { waitFor } from './wait';

/** The body of the target's health page on `port`, once it answers 200. */
function healthPage(port: string): Promise<string> {
  return waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}${TARGET_HEALTH_PATH}`, { signal: AbortSignal.timeout(2_000) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return res.text();
    },
    { timeoutMs: 30_000, intervalMs: 100, onTimeout: (lastError) => new Error(`health page on port ${port} did not answer: ${lastError}`) },
  );
}

function publishedPort(info: Docker.ContainerInspectInfo): string {
  const port = info.NetworkSettings.Ports[`${TARGET_PORT}/tcp`]?.[0]?.HostPort;
  if (!port) throw new Error(`container ${info.Name} publishes no port for ${TARGET_PORT}/tcp`);
  return port;
}

describe('container engine', () => {
  let workDir: string;
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let image: TargetImage;
  const name = `nginx-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'medic-engine-int-'));
    engine = await startContainerEngine({ workDir });
    docker = new Docker({ socketPath: engine.socket });
    image = await ensureTargetImage(engine);
  });

  afterAll(async () => {
    await docker?.getContainer(name).remove({ force: true }).catch(() => undefined);
    await engine?.stop();
    if (engine && !engine.external) await rm(workDir, { recursive: true, force: true });
  });

  it('answers the Docker API on its socket', async () => {
    const answer = (await docker.ping()) as Buffer | string;
    expect(answer.toString()).toBe('OK');
  });

  it('keeps the target image it built: a second ensure finds it', async () => {
    const again = await ensureTargetImage(engine);
    expect(again).toEqual({ name: image.name, id: image.id, built: false });
    const config = (await docker.getImage(image.name).inspect()).Config;
    expect(config.ExposedPorts).toHaveProperty(`${TARGET_PORT}/tcp`);
  });

  it('runs a module from the target image, stops it, starts it again and removes it', async () => {
    const container = await docker.createContainer({
      name,
      Image: image.name,
      Labels: { 'medic.module': 'nginx-test' },
      ExposedPorts: { [`${TARGET_PORT}/tcp`]: {} },
      HostConfig: { PortBindings: { [`${TARGET_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await container.start();
    const first = await container.inspect();
    expect(first.State.Running).toBe(true);
    await expect(healthPage(publishedPort(first))).resolves.toBe('ok\n');
    // deploy/podman/containers.conf caps open files (an engine found through DOCKER_HOST has its
    // own defaults). Read on the host: an exec's session is cleaned up by a process of its own
    // seconds later, which would recreate the engine's folders after the test removed them.
    if (!engine.external) expect(await readFile(`/proc/${first.State.Pid}/limits`, 'utf8')).toMatch(/^Max open files\s+1024\s+1024\s/m);

    const found = await docker.listContainers({ filters: { label: ['medic.module=nginx-test'] } });
    expect(found.map((c) => c.Id)).toContain(first.Id);

    await container.stop({ t: 5 });
    const stopped = await container.inspect();
    expect(stopped.State.Running).toBe(false);
    // The target traps SIGTERM: a clean stop, not a SIGKILL after the grace period.
    expect(stopped.State.ExitCode).toBe(0);

    await container.start();
    const second = await container.inspect();
    expect(second.State.Running).toBe(true);
    expect(second.State.StartedAt).not.toBe(first.State.StartedAt);
    expect(Date.parse(second.State.StartedAt)).toBeGreaterThan(Date.parse(first.State.StartedAt));
    // Starts asked through the API are not restarts by a restart policy.
    expect(second.RestartCount).toBe(0);
    await expect(healthPage(publishedPort(second))).resolves.toBe('ok\n');

    await container.remove({ force: true });
    await expect(container.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('answers whether it is alive on its socket', async () => {
    expect(await engine.server!.answers!(3_000)).toBe(true);
  });

  it('uses the engine DOCKER_HOST names instead of starting one, and leaves it running on stop', async () => {
    const given = await startContainerEngine({ workDir: join(workDir, 'unused'), dockerHost: `unix://${engine.socket}` });
    expect(given).toMatchObject({ socket: engine.socket, external: true });
    await given.stop();
    await expect(docker.ping()).resolves.toBeDefined();
  });

  it('says so when DOCKER_HOST names an engine that does not answer', async () => {
    const dockerHost = `unix://${join(workDir, 'nobody.sock')}`;
    const failure = startContainerEngine({ workDir: join(workDir, 'unused'), dockerHost });
    await expect(failure).rejects.toBeInstanceOf(DevstackError);
    await expect(failure).rejects.toMatchObject({ code: 'CONTAINER_ENGINE_UNREACHABLE' });
  });
});
