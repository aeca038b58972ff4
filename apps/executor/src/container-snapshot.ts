import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInspectInfo } from 'dockerode';
import { ENGINE_CALL_TIMEOUT_MS, ENGINE_CALLS_AT_ONCE, engineCall, engineWideCall, locate, mapAtMost, targetKey, unreadable, type ModuleTarget } from '@medic/containers';
import { crashPoint, Logger } from '@medic/observability';

/**
 * What it takes to make a module's container again once it is gone: taken
 * from the engine when the module is killed, kept by the executor. Plain
 * JSON, so it is stored as it is.
 */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly cmd: readonly string[] | null;
  readonly entrypoint: readonly string[] | null;
  readonly env: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly workingDir: string | null;
  readonly user: string | null;
  readonly exposedPorts: readonly string[];
  readonly healthcheck: HealthcheckSpec | null;
  /** host:container[:mode] binds, and named volumes or other mounts. */
  readonly binds: readonly string[];
  readonly mounts: readonly { readonly type: string; readonly source: string; readonly target: string; readonly readOnly: boolean }[];
  readonly networkMode: string | null;
  /** Networks the container was attached to besides its network mode's. */
  readonly networks: readonly string[];
  readonly restartPolicy: { readonly name: string; readonly maximumRetryCount: number } | null;
  readonly portBindings: Readonly<Record<string, readonly { readonly hostIp: string; readonly hostPort: string }[]>>;
}

/** The engine's healthcheck settings (durations in nanoseconds), as inspected. */
export interface HealthcheckSpec {
  readonly Test?: string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly Retries?: number;
  readonly StartPeriod?: number;
}

/** A module's container and its spec, as found when the module was killed. */
export interface TakenSnapshot {
  readonly containerId: string;
  readonly spec: ContainerSpec;
}

/** Snapshots containers and makes them again; the Docker Engine API's part of the executor's recreate path. */
export interface ContainerSnapshots {
  /** The specs of the targets' containers (found as the executor finds them), with one listing: `targetKey` → snapshot; targets with none are left out. */
  snapshotAll(targets: readonly ModuleTarget[]): Promise<Map<string, TakenSnapshot>>;
  /** Creates (does not start) a container from the spec, on its networks; returns its id. */
  recreate(spec: ContainerSpec): Promise<string>;
  /**
   * Joins the container to those of the networks it is not on: one made from
   * a spec by a try a crash cut short before its joins is started on all of
   * them, not on the network of its mode alone.
   */
  joinNetworks(containerId: string, networks: readonly string[]): Promise<void>;
}

const nonEmpty = (s: string | undefined | null): string | null => (s ? s : null);

/** The spec of an inspected container: what `recreate` needs and nothing that belongs to one run of it. */
export function specOf(c: ContainerInspectInfo): ContainerSpec {
  const host = c.HostConfig;
  const networkMode = nonEmpty(host.NetworkMode);
  const attached = Object.keys(c.NetworkSettings?.Networks ?? {});
  const binds = host.Binds ?? [];
  const bindTargets = new Set(binds.map((b) => b.split(':')[1]));
  return {
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    cmd: toList(c.Config.Cmd),
    entrypoint: toList(c.Config.Entrypoint),
    env: c.Config.Env ?? [],
    labels: c.Config.Labels ?? {},
    workingDir: nonEmpty(c.Config.WorkingDir),
    user: nonEmpty(c.Config.User),
    exposedPorts: Object.keys(c.Config.ExposedPorts ?? {}),
    healthcheck: c.Config.Healthcheck ?? null,
    binds,
    // Mounts the binds already name are not repeated.
    mounts: (c.Mounts ?? [])
      .filter((m) => !bindTargets.has(m.Destination) && (m.Type === 'volume' || m.Type === 'bind'))
      .map((m) => ({ type: m.Type, source: m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source, target: m.Destination, readOnly: !m.RW })),
    networkMode,
    networks: attached.filter((n) => n !== networkMode && !['bridge', 'host', 'none', 'podman'].includes(n)),
    restartPolicy: host.RestartPolicy?.Name ? { name: host.RestartPolicy.Name, maximumRetryCount: host.RestartPolicy.MaximumRetryCount ?? 0 } : null,
    portBindings: Object.fromEntries(
      Object.entries((host.PortBindings ?? {}) as Record<string, unknown>).map(([port, bindings]) => [port, ((bindings as { HostIp?: string; HostPort?: string }[] | null) ?? []).map((b) => ({ hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' }))]),
    ),
  };
}

function toList(v: string | string[] | undefined | null): string[] | null {
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? v : [v];
}

/** The create call that makes the container of a spec again, under its old name. */
export function createOptionsOf(spec: ContainerSpec): ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.cmd ? { Cmd: [...spec.cmd] } : {}),
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    Env: [...spec.env],
    Labels: { ...spec.labels },
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ExposedPorts: Object.fromEntries(spec.exposedPorts.map((p) => [p, {}])),
    ...(spec.healthcheck ? { Healthcheck: spec.healthcheck } : {}),
    HostConfig: {
      Binds: [...spec.binds],
      Mounts: spec.mounts.map((m) => ({ Type: m.type as 'bind' | 'volume', Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
      ...(spec.networkMode ? { NetworkMode: spec.networkMode } : {}),
      ...(spec.restartPolicy ? { RestartPolicy: { Name: spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount } } : {}),
      PortBindings: Object.fromEntries(Object.entries(spec.portBindings).map(([port, bs]) => [port, bs.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }))])),
    },
  };
}

/** Each call bounded as DockerEngine's are: an engine that does not answer is an EngineUnavailable, retriable. */
export class DockerSnapshots implements ContainerSnapshots {
  constructor(
    private readonly docker = new Docker(),
    private readonly callTimeoutMs = ENGINE_CALL_TIMEOUT_MS,
    private readonly logger = new Logger('medic.executor'),
  ) {}

  async snapshotAll(targets: readonly ModuleTarget[]): Promise<Map<string, TakenSnapshot>> {
    const taken = new Map<string, TakenSnapshot>();
    if (targets.length === 0) return taken;
    const listed = await engineWideCall('listing containers', this.callTimeoutMs, (abortSignal) => this.docker.listContainers({ all: true, abortSignal }));
    const located = targets.flatMap((target) => {
      const id = locate(listed, target);
      return id === null ? [] : [{ key: targetKey(target), id }];
    });
    const specs = await mapAtMost(located, ENGINE_CALLS_AT_ONCE, async ({ key, id }) => ({ key, spec: await this.inspectSpec(id) }));
    for (const { key, spec } of specs) if (spec !== null) taken.set(key, { containerId: spec.id, spec: spec.spec });
    return taken;
  }

  /**
   * One inspect: the container's spec, or null when it went in the meantime. An engine failing to
   * describe this container (a 5xx about it alone) leaves it without a new spec (the one kept
   * before stays) and says so, instead of failing the kills of every other container.
   */
  private async inspectSpec(id: string): Promise<{ id: string; spec: ContainerSpec } | null> {
    try {
      const inspected = await engineCall(`inspecting container ${id}`, this.callTimeoutMs, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }));
      return { id: inspected.Id, spec: specOf(inspected) };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      const failed = unreadable(id, error);
      this.logger.warn('the container engine failed to describe a killed container: its spec is not kept this time', { container_id: id, reason: failed.error.message });
      return null;
    }
  }

  async recreate(spec: ContainerSpec): Promise<string> {
    const container = await engineCall(`making a container for ${spec.name}`, this.callTimeoutMs, (abortSignal) => this.docker.createContainer({ ...createOptionsOf(spec), abortSignal }));
    // The network mode's network comes with the create call; other networks are joined after it.
    crashPoint('executor.before-join');
    await this.join(container.id, spec.networks);
    return container.id;
  }

  async joinNetworks(containerId: string, networks: readonly string[]): Promise<void> {
    if (networks.length === 0) return;
    const inspected = await engineCall(`inspecting container ${containerId}`, this.callTimeoutMs, (abortSignal) => this.docker.getContainer(containerId).inspect({ abortSignal }));
    const on = new Set(Object.keys(inspected.NetworkSettings?.Networks ?? {}));
    await this.join(
      containerId,
      networks.filter((n) => !on.has(n)),
    );
  }

  private async join(containerId: string, networks: readonly string[]): Promise<void> {
    for (const network of networks) {
      // dockerode takes the signal here too; its types do not say so.
      const joining = this.docker.getNetwork(network) as unknown as { connect(opts: { Container: string; abortSignal: AbortSignal }): Promise<unknown> };
      await engineCall(`joining ${containerId} to network ${network}`, this.callTimeoutMs, (abortSignal) => joining.connect({ Container: containerId, abortSignal }));
    }
  }
}
