import Docker from 'dockerode';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ensureTargetImage, startContainerEngine, TARGET_IMAGE, type ContainerEngineHandle } from '@medic/devstack';
import type { KillEvent, KillEventOf } from '@medic/domain';
import { eventually, killEventsOf, killReport, moduleContainer, smithMessage, snapshotTables, startMedic, type MedicUnderTest } from '@medic/testing';

/*
 * The executor on a real container engine: an auto-approved kill of a
 * stopped container starts it again (its StartedAt moves on), recorded as
 * intent then result; a module without a container fails with the reason.
 */
describe('bringing a module back on the container engine', () => {
  let engine: ContainerEngineHandle;
  let docker: Docker;
  let medic: MedicUnderTest;
  let containerId: string;
  const previousDockerHost = process.env.DOCKER_HOST;

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-exec-')) });
    await ensureTargetImage(engine);
    docker = new Docker({ socketPath: engine.socket });
    // Running, then killed (as Smith would): it has a StartedAt to move on from.
    containerId = (await moduleContainer(docker, 'nginx-test')).id;
    // The services reach the engine as they would under medic up.
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await startMedic({
      services: ['listener', 'decision', 'executor', 'gateway'],
      config: {
        mode: { current: 'semi_auto' },
        // The shortest validity window there is, so that an approval can outlive it within the test.
        decision: { auto_approve: { enabled: true }, default_timeout_minutes: 1 },
        // Their kills wait for a human, so the tests can remove the container in between.
        constraints: {
          always_require_approval: ['web-gone', 'web-net', 'never-seen', 'refused-svc', 'approved-late-svc', 'shop'],
          blacklisted_modules: ['banned-svc'],
          // More auto-approvals than the suite makes in its hour: none of its kills waits for a human for want of budget.
          max_auto_resurrections_per_hour: 50,
        },
        risk: { module_criticality: { modules: { 'severe-svc': 1 } } },
      },
    });
  });
  afterAll(async () => {
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  const events = async (killId: string, last: KillEvent['type'][]) =>
    killEventsOf(medic, killId, (es) => es.some((e) => last.includes(e.type)), `${last.join(' or ')} for ${killId}`, 60_000);

  it("starts the stopped container of an auto-approved kill: intent first, then the result, StartedAt moved on", async () => {
    const before = await docker.getContainer(containerId).inspect();
    expect(before.State.Running).toBe(false);
    const r = killReport({ target_module: 'nginx-test' });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    const log = await events(r.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.map((e) => e.type)).toEqual(['KillReported', 'RiskAssessed', 'DecisionMade', 'ResurrectionStarted', 'ResurrectionSucceeded']);
    const started = log.find((e) => e.type === 'ResurrectionStarted');
    expect(started).toMatchObject({ targetModule: 'nginx-test', approvedBy: 'policy:auto-approve', containerId, startedAtBefore: new Date(before.State.StartedAt).toISOString() });
    expect(log.find((e) => e.type === 'ResurrectionSucceeded')).toMatchObject({ containerId, action: 'start' });
    const after = await docker.getContainer(containerId).inspect();
    expect(after.State.Running).toBe(true);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
  });

  it('fails with a clear reason when the module has no container, and goes on with the next kill', async () => {
    const ghost = killReport({ target_module: 'ghost-svc' });
    await medic.publishRaw(smithMessage(ghost), ghost.kill_id);
    const log = await events(ghost.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.find((e) => e.type === 'ResurrectionFailed')).toMatchObject({ reason: expect.stringMatching(/no container for module ghost-svc/) as unknown, retriable: false });

    await docker.getContainer(containerId).stop({ t: 1 });
    const next = killReport({ target_module: 'nginx-test' });
    await medic.publishRaw(smithMessage(next), next.kill_id);
    const after = await events(next.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(after.map((e) => e.type)).toContain('ResurrectionSucceeded');
    expect((await docker.getContainer(containerId).inspect()).State.Running).toBe(true);
  });

  /** How many times the engine started the container since `since` (unix seconds), from its own event log. */
  const startsOf = async (id: string, since: number): Promise<number> => {
    const stream = (await docker.getEvents({ since, until: Math.ceil(Date.now() / 1000), filters: { type: ['container'], event: ['start'], container: [id] } }));
    let text = '';
    for await (const chunk of stream) text += chunk.toString();
    return text
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as { status?: string; Action?: string; id?: string; Actor?: { ID?: string } })
      .filter((e) => (e.Action ?? e.status) === 'start' && (e.Actor?.ID ?? e.id) === id).length;
  };

  it.each([
    ['executor.before-act', false],
    ['executor.after-act', true],
  ])('SIGKILLed at %s, then restarted: the intent is acted on, the container started exactly once', async (point, startedBeforeCrash) => {
    const container = docker.getContainer(containerId);
    if ((await container.inspect()).State.Running) await container.stop({ t: 1 });
    // The engine's events are asked for by whole seconds: count from the next one, which no earlier
    // start shares, and wait until it has begun (a timer may fire a little early).
    const since = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, since * 1000 - Date.now() + 50));
    await medic.service('executor').stop();
    const crashing = await medic.start('executor', { MEDIC_CRASH_POINTS: point });
    const r = killReport({ target_module: 'nginx-test' });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    // The executor dies at the point, as on a power cut: its intent is committed, its result is not.
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const intent = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'ResurrectionStarted'), `the intent of ${r.kill_id}`);
    expect(intent.map((e) => e.type)).not.toContain('ResurrectionSucceeded');
    expect((await container.inspect()).State.Running).toBe(startedBeforeCrash);

    await medic.start('executor');
    const log = await events(r.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.filter((e) => e.type === 'ResurrectionStarted')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'ResurrectionSucceeded')).toEqual([expect.objectContaining({ containerId, action: 'start' })]);
    expect((await container.inspect()).State.Running).toBe(true);
    await new Promise((r) => setTimeout(r, 1_100)); // the engine's event log has whole seconds
    expect(await startsOf(containerId, since)).toBe(1);
  });

  it('does not start a module blacklisted while its intent waited for a crashed executor', async () => {
    const name = 'banned-later-svc';
    const container = docker.getContainer((await moduleContainer(docker, name)).id);
    if ((await container.inspect()).State.Running) await container.stop({ t: 1 });
    await medic.service('executor').stop();
    const crashing = await medic.start('executor', { MEDIC_CRASH_POINTS: 'executor.before-act' });
    const r = killReport({ target_module: name });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    expect((await crashing.exited).signal).toBe('SIGKILL');
    // The operator blacklists the module, and the executor comes back with that list.
    const config = parseYaml(readFileSync(join(medic.logDir, 'medic.yaml'), 'utf8')) as { constraints: { blacklisted_modules: string[] } };
    config.constraints.blacklisted_modules.push(name);
    const changed = join(medic.logDir, 'medic-blacklisted.yaml');
    writeFileSync(changed, stringifyYaml(config));
    await medic.start('executor', { MEDIC_CONFIG_PATH: changed });
    const log = await events(r.kill_id, ['ResurrectionFailed', 'ResurrectionSucceeded']);
    expect(log.filter((e) => e.type === 'ResurrectionSucceeded')).toEqual([]);
    expect(log.filter((e) => e.type === 'ResurrectionFailed')).toEqual([
      expect.objectContaining({ retriable: false, attempt: 1, reason: `module ${name} is blacklisted (constraints.blacklisted_modules): it is never brought back, whoever approved it; attempt 1 was not made` }),
    ]);
    expect((await container.inspect()).State.Running).toBe(false);
  });

  it("does not act on an intent it comes back to past the decision's validity window after a crash", async () => {
    const name = 'intended-long-ago-svc';
    const container = docker.getContainer((await moduleContainer(docker, name)).id);
    if ((await container.inspect()).State.Running) await container.stop({ t: 1 });
    const before = (await container.inspect()).State.StartedAt;
    await medic.service('executor').stop();
    const crashing = await medic.start('executor', { MEDIC_CRASH_POINTS: 'executor.before-act' });
    const r = killReport({ target_module: name });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const intent = (await events(r.kill_id, ['ResurrectionStarted'])).find((e): e is KillEventOf<'ResurrectionStarted'> => e.type === 'ResurrectionStarted')!;
    // Down for longer than the decision's validity (1 minute) after the intent was written.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(intent.at) + 61_000 - Date.now())));
    await medic.start('executor');
    const log = await events(r.kill_id, ['ResurrectionFailed', 'ResurrectionSucceeded']);
    expect(log.filter((e) => e.type === 'ResurrectionSucceeded')).toEqual([]);
    expect(log.filter((e) => e.type === 'ResurrectionFailed')).toEqual([
      expect.objectContaining({
        retriable: false,
        attempt: 1,
        requestId: intent.requestId,
        reason: expect.stringMatching(new RegExp(`^the intent of attempt 1 was written at ${intent.at.replace(/\./g, '\\.')}, and the executor came to act on it 1 minute after it was due, .*the module was not started`)) as unknown,
      }),
    ]);
    expect((await container.inspect()).State.StartedAt).toBe(before);
  });

  it('shows the resurrection requests over REST, with where each stands', async () => {
    type Item = { request_id: string; kill_id: string; target_module: string; status: string; container_id: string | null; failure_reason: string | null };
    const page = await eventually(async () => {
      const res = await medic.get<{ data: { items: Item[]; pagination: { total: number } } }>('/resurrections?page_size=200');
      return (res.body.data?.pagination.total ?? 0) >= 4 ? res.body.data : undefined;
    }, 'four resurrection requests');
    const succeeded = page.items.filter((i) => i.target_module === 'nginx-test' && i.status === 'completed');
    expect(succeeded.length).toBeGreaterThanOrEqual(2);
    expect(succeeded[0]!.container_id).toBe(containerId);
    const failed = page.items.find((i) => i.target_module === 'ghost-svc');
    expect(failed).toMatchObject({ status: 'failed', failure_reason: expect.stringMatching(/no container/) as unknown });
    expect((await medic.get<{ data: { status: string } }>(`/resurrections/${succeeded[0]!.request_id}/status`)).body.data.status).toBe('completed');
    expect((await medic.get<{ data: Item }>(`/resurrections/${failed!.request_id}`)).body.data.kill_id).toBe(failed!.kill_id);
    expect((await medic.get('/resurrections/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await medic.get<{ errors: { code: string; field?: string }[] }>('/resurrections/no-such-request')).body.errors[0]).toMatchObject({ code: 'validation_error', field: 'request_id' });
    expect((await medic.get('/resurrections?status=bogus')).status).toBe(400);
    const filtered = await medic.get<{ data: { items: Item[] } }>('/resurrections?module=ghost-svc&status=failed');
    expect(filtered.body.data.items.map((i) => i.target_module)).toEqual(['ghost-svc']);
  });

  /** Reports a kill of a module that needs a human, and waits for its queue item. */
  async function queuedKill(module: string, instance = 'inst-001'): Promise<{ killId: string; itemId: string }> {
    const r = killReport({ target_module: module, target_instance_id: instance });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    const log = await events(r.kill_id, ['ApprovalRequested']);
    const asked = log.find((e) => e.type === 'ApprovalRequested');
    const itemId = asked!.type === 'ApprovalRequested' ? asked!.queueItemId : '';
    // The gateway serves the item once its projection has caught up with the log.
    await eventually(async () => ((await medic.get(`/queue/${itemId}`)).status === 200 ? true : undefined), `queue item ${itemId} on the gateway`);
    return { killId: r.kill_id, itemId };
  }
  type Kept = { kill_id: string; spec: { env: string[]; labels: Record<string, string> } };
  const snapshotOf = async (module: string, instance = 'inst-001'): Promise<Kept | undefined> => {
    const { rows } = await snapshotTables(medic.databaseUrl, { rows: `SELECT module, kill_id, spec FROM executor.container_snapshots WHERE module = '${module}' AND instance = '${instance}'` });
    return rows?.[0] as Kept | undefined;
  };

  it('makes a container removed after the kill again from the spec kept when it was killed, and says so', async () => {
    const made = await docker.createContainer({
      Image: TARGET_IMAGE,
      name: 'web-gone',
      Labels: { 'medic.module': 'web-gone', team: 'payments' },
      Env: ['GREETING=hello'],
      HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } },
    });
    await made.start();
    await made.stop({ t: 1 });
    const { killId, itemId } = await queuedKill('web-gone');
    const kept = await eventually(async () => ((await snapshotOf('web-gone'))?.kill_id === killId ? snapshotOf('web-gone') : undefined), 'the snapshot of web-gone');
    expect(kept?.spec.labels).toMatchObject({ team: 'payments' });
    // Gone before anyone approved it.
    await made.remove({ force: true });
    expect((await medic.call('POST', `/queue/${itemId}/approve`, { body: { notes: 'bring it back' } })).status).toBe(200);
    const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.find((e) => e.type === 'ResurrectionStarted')).toMatchObject({ fromSnapshot: true, containerId: made.id });
    const done = log.find((e) => e.type === 'ResurrectionSucceeded');
    expect(done).toMatchObject({ action: 'recreate' });
    const again = await docker.getContainer(done!.type === 'ResurrectionSucceeded' ? done!.containerId : '').inspect();
    expect(again.Id).not.toBe(made.id);
    expect(again.Name).toBe('/web-gone');
    expect(again.State.Running).toBe(true);
    expect(again.Config.Env).toContain('GREETING=hello');
    expect(again.Config.Labels).toMatchObject({ 'medic.module': 'web-gone', team: 'payments' });
    expect(again.HostConfig.RestartPolicy).toMatchObject({ Name: 'on-failure', MaximumRetryCount: 3 });
  });

  it('joins a container made again to its networks when the try that made it was killed before it could', async () => {
    const network = 'medic-e2e-backend';
    await docker.createNetwork({ Name: network });
    const made = await docker.createContainer({ Image: TARGET_IMAGE, name: 'web-net', Labels: { 'medic.module': 'web-net' } });
    await docker.getNetwork(network).connect({ Container: made.id });
    await made.start();
    await made.stop({ t: 1 });
    const { killId, itemId } = await queuedKill('web-net');
    await eventually(async () => ((await snapshotOf('web-net'))?.kill_id === killId ? true : undefined), 'the snapshot of web-net');
    await made.remove({ force: true });
    await medic.service('executor').stop();
    const crashing = await medic.start('executor', { MEDIC_CRASH_POINTS: 'executor.before-join' });
    expect((await medic.call('POST', `/queue/${itemId}/approve`)).status).toBe(200);
    // Killed between making the container and joining it to its network.
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const half = await docker.getContainer('web-net').inspect();
    expect(Object.keys(half.NetworkSettings.Networks)).not.toContain(network);
    expect(half.State.Running).toBe(false);

    await medic.start('executor');
    const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.filter((e) => e.type === 'ResurrectionSucceeded')).toEqual([expect.objectContaining({ containerId: half.Id, action: 'start' })]);
    const again = await docker.getContainer(half.Id).inspect();
    expect(again.State.Running).toBe(true);
    expect(Object.keys(again.NetworkSettings.Networks)).toContain(network);
  });

  it("brings back the instance Smith named among a module's containers, and makes that one again when it is gone", async () => {
    const replica = async (name: string, labels: Record<string, string> = {}) => {
      const c = await docker.createContainer({ Image: TARGET_IMAGE, name, Labels: { 'medic.module': 'shop', ...labels } });
      await c.start();
      return c;
    };
    const [one, two, three] = [await replica('shop-1'), await replica('shop-2'), await replica('shop-pod-7f3', { 'medic.instance': 'shop-3' })];
    const startedAt = async (c: Docker.Container) => (await c.inspect()).State.StartedAt;
    const oneStarted = await startedAt(one);

    // Smith kills shop-2, named by its container's name; the others keep running.
    await two.stop({ t: 1 });
    const byName = await queuedKill('shop', 'shop-2');
    expect((await medic.call('POST', `/queue/${byName.itemId}/approve`)).status).toBe(200);
    const log = await events(byName.killId, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.find((e) => e.type === 'ResurrectionStarted')).toMatchObject({ targetModule: 'shop', targetInstanceId: 'shop-2', containerId: two.id });
    expect(log.find((e) => e.type === 'ResurrectionSucceeded')).toMatchObject({ containerId: two.id, action: 'start' });
    expect((await two.inspect()).State.Running).toBe(true);
    expect(await startedAt(one)).toBe(oneStarted);

    // Smith kills the one labelled medic.instance=shop-3; it is removed before anyone approves.
    await three.stop({ t: 1 });
    const byLabel = await queuedKill('shop', 'shop-3');
    await eventually(async () => ((await snapshotOf('shop', 'shop-3'))?.kill_id === byLabel.killId ? true : undefined), 'the snapshot of shop-3');
    expect((await snapshotOf('shop', 'shop-2'))?.kill_id).toBe(byName.killId);
    await three.remove({ force: true });
    expect((await medic.call('POST', `/queue/${byLabel.itemId}/approve`)).status).toBe(200);
    const again = await events(byLabel.killId, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(again.find((e) => e.type === 'ResurrectionStarted')).toMatchObject({ targetInstanceId: 'shop-3', fromSnapshot: true, containerId: three.id });
    const made = again.find((e): e is KillEventOf<'ResurrectionSucceeded'> => e.type === 'ResurrectionSucceeded');
    expect(made).toMatchObject({ action: 'recreate' });
    const remade = await docker.getContainer(made!.containerId).inspect();
    expect(remade.Name).toBe('/shop-pod-7f3');
    expect(remade.Config.Labels).toMatchObject({ 'medic.module': 'shop', 'medic.instance': 'shop-3' });
    expect(remade.State.Running).toBe(true);
    expect(await startedAt(one)).toBe(oneStarted);

    // REST names the instance of each request.
    const listed = (await medic.get('/resurrections?module=shop')).body as { data: { items: { kill_id: string; target_instance_id: string; container_id: string }[] } };
    expect(listed.data.items.map((i) => [i.kill_id, i.target_instance_id]).sort()).toEqual([[byName.killId, 'shop-2'], [byLabel.killId, 'shop-3']].sort());
  });

  it('fails with a clear reason when there is neither a container nor a snapshot, and handles the next kill', async () => {
    const { killId, itemId } = await queuedKill('never-seen');
    expect((await medic.call('POST', `/queue/${itemId}/approve`)).status).toBe(200);
    const log = await events(killId, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.find((e) => e.type === 'ResurrectionFailed')).toMatchObject({
      reason: expect.stringMatching(/no container for module never-seen .*no snapshot of its spec/) as unknown,
      retriable: false,
    });
    await docker.getContainer(containerId).stop({ t: 1 });
    const next = killReport({ target_module: 'nginx-test' });
    await medic.publishRaw(smithMessage(next), next.kill_id);
    expect((await events(next.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed'])).map((e) => e.type)).toContain('ResurrectionSucceeded');
  });

  it('leaves the container alone when the kill is denied: critical, blacklisted, or denied by a human', async () => {
    const containers = await Promise.all(['severe-svc', 'banned-svc', 'refused-svc'].map((name) => moduleContainer(docker, name)));
    const before = await Promise.all(containers.map((c) => c.inspect()));
    const critical = killReport({ target_module: 'severe-svc', severity: 'critical', confidence_score: 0.99, kill_reason: 'threat_detected' });
    const blacklisted = killReport({ target_module: 'banned-svc' });
    for (const r of [critical, blacklisted]) await medic.publishRaw(smithMessage(r), r.kill_id);
    const { killId: refusedKill, itemId } = await queuedKill('refused-svc');
    expect((await medic.call('POST', `/queue/${itemId}/deny`, { body: { reason: 'the owning team says it stays down' } })).status).toBe(200);
    for (const killId of [critical.kill_id, blacklisted.kill_id]) {
      expect((await events(killId, ['DecisionMade'])).find((e) => e.type === 'DecisionMade')).toMatchObject({ decision: { outcome: 'deny' } });
    }
    expect((await events(refusedKill, ['ApprovalDenied'])).map((e) => e.type)).toContain('ApprovalDenied');
    // A kill approved later (the nginx-test one) is handled, so the executor has seen these three by then.
    await docker.getContainer(containerId).stop({ t: 1 });
    const later = killReport({ target_module: 'nginx-test' });
    await medic.publishRaw(smithMessage(later), later.kill_id);
    expect((await events(later.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed'])).map((e) => e.type)).toContain('ResurrectionSucceeded');
    for (const killId of [critical.kill_id, blacklisted.kill_id, refusedKill]) {
      expect((await events(killId, ['DecisionMade'])).map((e) => e.type)).not.toContain('ResurrectionStarted');
    }
    const after = await Promise.all(containers.map((c) => c.inspect()));
    after.forEach((a, i) => {
      expect(a.State.Running).toBe(false);
      expect(a.State.StartedAt).toBe(before[i]!.State.StartedAt);
    });
  });

  it("does not act on an approval older than its decision's validity window when it comes to it, but acts on one given later", async () => {
    const [stale, fresh] = await Promise.all(['stale-svc', 'approved-late-svc'].map((name) => moduleContainer(docker, name)));
    const before = await stale!.inspect();
    // The executor is down while one kill is auto-approved and the other waits for a human.
    await medic.service('executor').stop();
    const auto = killReport({ target_module: 'stale-svc' });
    await medic.publishRaw(smithMessage(auto), auto.kill_id);
    const decided = (await events(auto.kill_id, ['DecisionMade'])).find((e) => e.type === 'DecisionMade');
    expect(decided).toMatchObject({ decision: { outcome: 'approve_auto', timeoutMinutes: 1 } });
    const { killId: humanKill, itemId } = await queuedKill('approved-late-svc');
    // Past the auto-approval's window of one minute; the queue item is still open (timeout_hours).
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(decided!.at) + 61_000 - Date.now())));
    expect((await medic.call('POST', `/queue/${itemId}/approve`, { body: { notes: 'still wanted' } })).status).toBe(200);
    await medic.start('executor');

    const log = await events(auto.kill_id, ['ResurrectionSucceeded', 'ResurrectionFailed']);
    expect(log.map((e) => e.type)).not.toContain('ResurrectionStarted');
    expect(log.find((e) => e.type === 'ResurrectionFailed')).toMatchObject({
      retriable: false,
      reason: expect.stringMatching(new RegExp(`^the resurrection was authorized at ${decided!.at.replace(/\./g, '\\.')}, valid for 1 minute .* was \\d+ minutes? old when the executor came to it: it was not carried out`)) as unknown,
    });
    const after = await stale!.inspect();
    expect(after.State.Running).toBe(false);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    // The human's approval is fresh: its window runs from when it was given.
    expect((await events(humanKill, ['ResurrectionSucceeded', 'ResurrectionFailed'])).map((e) => e.type)).toContain('ResurrectionSucceeded');
    expect((await fresh!.inspect()).State.Running).toBe(true);
    // Refused before anything was started, it is still a request an operator can find, with no attempt made.
    const failed = await eventually(async () => {
      const res = await medic.get<{ data: { items: Record<string, unknown>[] } }>('/resurrections?module=stale-svc');
      return res.body.data?.items[0];
    }, 'the stale resurrection on REST');
    expect(failed).toMatchObject({ kill_id: auto.kill_id, status: 'failed', approved_by: 'policy:auto-approve', attempt: 0, container_id: null, failure_reason: expect.stringMatching(/valid for 1 minute/) as unknown });
  });

  // Each module runs a program from a host directory: while the program is missing, the engine refuses to start it.
  const program = (dir: string) => writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\nexec sleep 3600\n', { mode: 0o755 });
  /** A module's container, run once with its program and stopped; the program is then taken away. */
  const made = async (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `medic-${name}-`));
    program(dir);
    const c = await docker.createContainer({ Image: TARGET_IMAGE, name, Cmd: ['/opt/app/run.sh'], Labels: { 'medic.module': name }, HostConfig: { Binds: [`${dir}:/opt/app`] } });
    await c.start();
    await c.stop({ t: 1 });
    rmSync(join(dir, 'run.sh'));
    return { c, dir };
  };

  it('tries a start the engine refused again, waiting longer each time, until it works or its retries (resurrection.max_retry_attempts, 2) run out', async () => {
    const mended = await made('mended-svc');
    const broken = await made('broken-svc');
    const kills = [killReport({ target_module: 'mended-svc' }), killReport({ target_module: 'broken-svc' })];
    for (const r of kills) await medic.publishRaw(smithMessage(r), r.kill_id);
    type Failed = KillEventOf<'ResurrectionFailed'>;
    const failuresOf = (log: KillEvent[]) => log.filter((e): e is Failed => e.type === 'ResurrectionFailed');
    const attemptsOf = (log: KillEvent[]) => log.flatMap((e) => (e.type === 'ResurrectionStarted' ? [e.attempt] : []));

    // The first refusal says what the engine said, which attempt it was and when the next comes; then the program is put back.
    const first = failuresOf(await killEventsOf(medic, kills[0]!.kill_id, (es) => failuresOf(es).length > 0, 'the first refusal', 60_000))[0]!;
    expect(first).toMatchObject({ retriable: true, attempt: 1, targetModule: 'mended-svc', reason: expect.stringMatching(/^the container engine refused: .*run\.sh.* \(attempt 1 of 3; tried again in 2 seconds\)$/) as unknown });
    program(mended.dir);
    const mendedLog = await events(kills[0]!.kill_id, ['ResurrectionSucceeded']);
    const tries = attemptsOf(mendedLog);
    expect(tries[0]).toBe(1);
    expect(tries).toEqual(tries.map((_, i) => i + 1));
    expect(failuresOf(mendedLog)).toHaveLength(tries.length - 1);
    expect((await mended.c.inspect()).State.Running).toBe(true);

    // Still missing: three attempts, 2 s and then 4 s apart, and the last one says there will be no other.
    const brokenLog = await killEventsOf(medic, kills[1]!.kill_id, (es) => failuresOf(es).some((f) => !f.retriable), 'the last refusal', 60_000);
    expect(attemptsOf(brokenLog)).toEqual([1, 2, 3]);
    const failed = failuresOf(brokenLog);
    expect(failed.map((f) => [f.attempt, f.retriable])).toEqual([[1, true], [2, true], [3, false]]);
    expect(failed[2]!.reason).toMatch(/\(attempt 3 of 3; no more attempts \(resurrection\.max_retry_attempts is 2\)\)$/);
    // Each wait is the kill workflow's timer between a refusal and the next attempt's intent, not a sleep in the executor.
    const started = brokenLog.filter((e) => e.type === 'ResurrectionStarted').map((e) => Date.parse(e.at));
    const failedAt = failed.map((f) => Date.parse(f.at));
    expect(started[1]! - failedAt[0]!).toBeGreaterThanOrEqual(2_000);
    expect(started[2]! - failedAt[1]!).toBeGreaterThanOrEqual(4_000);
    const resumed = brokenLog.filter((e): e is KillEventOf<'ResurrectionResumed'> => e.type === 'ResurrectionResumed');
    expect(resumed.map((e) => [e.attempt, e.resumedBy])).toEqual([
      [2, 'timer:retry'],
      [3, 'timer:retry'],
    ]);
    expect((await broken.c.inspect()).State.Running).toBe(false);
    const listed = await eventually(async () => {
      const res = await medic.get<{ data: { items: { attempt: number; status: string; retriable: boolean }[] } }>('/resurrections?module=broken-svc');
      return res.body.data?.items.length === 3 ? res.body.data.items : undefined;
    }, 'the three attempts on REST');
    expect(listed.map((i) => [i.attempt, i.status, i.retriable])).toEqual([[3, 'failed', false], [2, 'failed', true], [1, 'failed', true]]);
    // A refusal another attempt follows counts as retrying, not failed.
    const metrics = await (await fetch(medic.metricsUrl('executor'))).text();
    const retrying = Number(/^medic_resurrections_total\{[^}]*result="retrying"[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
    expect(retrying).toBeGreaterThanOrEqual(failuresOf(mendedLog).length + 2);
  });

  it("does not try a refused start again when it comes to the refusal past the decision's validity window", async () => {
    const { c } = await made('retried-late-svc');
    // The executor dies between reading the retry's resumption and writing its intent, and stays down past the window.
    await medic.service('executor').stop();
    const crashing = await medic.start('executor', { MEDIC_CRASH_POINTS: 'executor.before-retry' });
    const r = killReport({ target_module: 'retried-late-svc' });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const refused = (await events(r.kill_id, ['ResurrectionFailed'])).find((e): e is KillEventOf<'ResurrectionFailed'> => e.type === 'ResurrectionFailed')!;
    expect(refused).toMatchObject({ attempt: 1, retriable: true });
    // Attempt 2 was due 2 s after the refusal.
    const due = new Date(Date.parse(refused.at) + 2_000).toISOString();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(due) + 61_000 - Date.now())));
    await medic.start('executor');

    const log = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'ResurrectionFailed' && !e.retriable), 'the retry not made', 60_000);
    expect(log.filter((e) => e.type === 'ResurrectionStarted')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'ResurrectionFailed').at(-1)).toMatchObject({
      attempt: null,
      retriable: false,
      targetModule: 'retried-late-svc',
      reason: expect.stringMatching(new RegExp(`^attempt 1 was refused by the container engine and attempt 2 was due at ${due.replace(/\./g, '\\.')}, and the executor came to it 1 minute later, past the decision's validity of 1 minute .*attempt 2 was not made`)) as unknown,
    });
    expect((await c.inspect()).State.Running).toBe(false);
    // The gateway shows it as a request of no attempt, and neither it nor the kill workflow dead-lettered it.
    const listed = await eventually(async () => {
      const res = await medic.get<{ data: { items: { attempt: number; status: string; retriable: boolean }[] } }>('/resurrections?module=retried-late-svc');
      return res.body.data?.items.length === 2 ? res.body.data.items : undefined;
    }, 'both requests on REST');
    expect(listed.map((i) => [i.attempt, i.status, i.retriable])).toEqual([
      [0, 'failed', false],
      [1, 'failed', true],
    ]);
    const health = await medic.get<{ data: { steps: Record<string, { dead_letters_last_hour: number }> } }>('/health');
    for (const step of ['decision', 'gateway']) expect(health.body.data.steps[step]?.dead_letters_last_hour).toBe(0);
  });
});

describe('observer mode on the container engine', () => {
  let engine: ContainerEngineHandle;
  let medic: MedicUnderTest;
  const previousDockerHost = process.env.DOCKER_HOST;

  beforeAll(async () => {
    engine = await startContainerEngine({ workDir: mkdtempSync(join(tmpdir(), 'medic-exec-obs-')) });
    await ensureTargetImage(engine);
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    medic = await startMedic({ services: ['listener', 'decision', 'executor'], config: { mode: { current: 'observer' }, decision: { auto_approve: { enabled: true } } } });
  });
  afterAll(async () => {
    await medic?.stop();
    if (previousDockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = previousDockerHost;
    await engine?.stop();
  });

  it('decides but touches nothing', async () => {
    const docker = new Docker({ socketPath: engine.socket });
    const c = await moduleContainer(docker, 'watched-svc');
    const before = await c.inspect();
    const r = killReport({ target_module: 'watched-svc' });
    await medic.publishRaw(smithMessage(r), r.kill_id);
    const log = await killEventsOf(medic, r.kill_id, (es) => es.some((e) => e.type === 'DecisionMade'), 'the observed decision', 60_000);
    expect(log.find((e) => e.type === 'DecisionMade')).toMatchObject({ decision: { observeOnly: true } });
    // The executor reads the same log; give it the time it takes to act on an approval elsewhere.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await killEventsOf(medic, r.kill_id, () => true, 'the kill log', 10_000);
    expect(after.map((e) => e.type)).not.toContain('ResurrectionStarted');
    const now = await c.inspect();
    expect(now.State.Running).toBe(false);
    expect(now.State.StartedAt).toBe(before.State.StartedAt);
  });
});
