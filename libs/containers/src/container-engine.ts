import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { EngineHealth } from '@medic/domain';
import { ENGINE_CALLS_AT_ONCE, mapAtMost } from './at-most';
import { ENGINE_CALL_TIMEOUT_MS, engineCall, EngineUnavailable, engineWideCall } from './engine-calls';

/** A container as Medic needs to know it: to bring it back, and to watch it afterwards. */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  /** When it last started (the engine's StartedAt), null if never. */
  readonly startedAt: string | null;
  /** The engine's word for its state: running, exited, restarting, created… */
  readonly status: string;
  /** Of its last exit; null while running or never started. */
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  /** Restarts made by the engine's restart policy. */
  readonly restartCount: number;
  /** The engine's healthcheck verdict, `none` without a healthcheck. */
  readonly health: EngineHealth;
}

export interface ExecResult {
  readonly exitCode: number;
  /** The start of what it printed (stdout and stderr). */
  readonly output: string;
}

/**
 * Where modules run (spec: the resurrection backend). The Docker Engine API
 * now; Kubernetes could be another implementation. Errors are the engine's,
 * with its message.
 */
export interface ContainerEngine {
  /** The target's container (see `locate`); null if the module has none. */
  find(target: ModuleTarget): Promise<ContainerInfo | null>;
  /**
   * The containers of several targets with one listing: `targetKey` → container, for those that have one.
   * A container the engine failed to describe (an error of its own about that container alone) is an
   * UnreadableContainer there, so one broken container does not fail the others' lookups.
   */
  findAll(targets: readonly ModuleTarget[]): Promise<Map<string, ContainerInfo | UnreadableContainer>>;
  inspect(id: string): Promise<ContainerInfo | null>;
  /** Starts it; one already running is left as it is. */
  start(id: string): Promise<void>;
  /** Stops it (SIGTERM, SIGKILL after `graceSeconds`); one already stopped is left as it is. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /**
   * Runs a command in it and waits for its exit code, at most `timeoutMs`: a command
   * still running then is an ExecTimeout, an engine that does not answer an EngineUnavailable.
   */
  exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /** Whether the engine answers its ping within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
}

export const MODULE_LABEL = 'medic.module';
/** The label naming which instance of its module a container is, when its name does not say. */
export const INSTANCE_LABEL = 'medic.instance';

/** What Smith killed: a module, and the instance of it (its report's target_instance_id) when known. */
export interface ModuleTarget {
  readonly module: string;
  readonly instance: string | null;
}

export function targetKey(target: ModuleTarget): string {
  return `${target.module}\u0000${target.instance ?? ''}`;
}

/** Where dockerode looks for the engine when DOCKER_HOST is unset. */
export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';

/** The engine a DockerEngine made without a client of its own talks to (dockerode's rule), or null when there is none. */
export function containerEngineEndpoint(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['DOCKER_HOST']) return env['DOCKER_HOST'];
  return existsSync(DEFAULT_ENGINE_SOCKET) ? `unix://${DEFAULT_ENGINE_SOCKET}` : null;
}

const OUTPUT_KEPT = 500;
/**
 * A container the engine listed but failed to describe: its answer (a 5xx
 * about this container, its storage, its state) says nothing about the
 * others, so it is kept beside them instead of failing them all.
 */
export class UnreadableContainer {
  constructor(
    readonly id: string,
    readonly error: Error,
  ) {}
}

/**
 * An error a call about one container failed with, as an UnreadableContainer:
 * the engine's own answer about it. An engine that does not answer
 * (EngineUnavailable) is thrown again: that fails every call, not this one.
 */
export function unreadable(id: string, error: unknown): UnreadableContainer {
  if (error instanceof EngineUnavailable || !(error instanceof Error)) throw error;
  return new UnreadableContainer(id, error);
}

/** The container's inspection, or what the engine said when it failed it; an engine that does not answer still fails the call. */
export async function inspectOrUnreadable(engine: Pick<ContainerEngine, 'inspect'>, id: string): Promise<ContainerInfo | UnreadableContainer | null> {
  try {
    return await engine.inspect(id);
  } catch (error) {
    return unreadable(id, error);
  }
}

/** 304 Not Modified: the container already is as asked (started, or stopped). */
const ALREADY = 304;

/**
 * The Docker Engine API through dockerode (DOCKER_HOST, or the default
 * socket). Every call is bounded (`callTimeoutMs`); an engine that does not
 * answer in time, or cannot be reached, is an EngineUnavailable.
 */
export class DockerEngine implements ContainerEngine {
  constructor(
    private readonly docker = new Docker(),
    private readonly callTimeoutMs = ENGINE_CALL_TIMEOUT_MS,
  ) {}

  async find(target: ModuleTarget): Promise<ContainerInfo | null> {
    const found = (await this.findAll([target])).get(targetKey(target)) ?? null;
    if (found instanceof UnreadableContainer) throw found.error;
    return found;
  }

  async findAll(targets: readonly ModuleTarget[]): Promise<Map<string, ContainerInfo | UnreadableContainer>> {
    const found = new Map<string, ContainerInfo | UnreadableContainer>();
    if (targets.length === 0) return found;
    const listed = await engineWideCall('listing containers', this.callTimeoutMs, (abortSignal) => this.docker.listContainers({ all: true, abortSignal }));
    const unique = new Map(targets.map((t) => [targetKey(t), t]));
    const located = [...unique].map(([key, target]) => ({ key, id: locate(listed, target) }));
    // Inspected a few at a time: a burst of kills asks about many modules at once.
    const infos = await mapAtMost(located, ENGINE_CALLS_AT_ONCE, async ({ key, id }) => ({ key, info: id === null ? null : await inspectOrUnreadable(this, id) }));
    for (const { key, info } of infos) if (info !== null) found.set(key, info);
    return found;
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    try {
      const c = await engineCall(`inspecting container ${id}`, this.callTimeoutMs, (abortSignal) => this.docker.getContainer(id).inspect({ abortSignal }));
      const s = c.State;
      const started = s.StartedAt && !s.StartedAt.startsWith('0001-') ? new Date(s.StartedAt).toISOString() : null;
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        running: s.Running,
        startedAt: started,
        status: s.Status,
        exitCode: s.Running || started === null ? null : s.ExitCode,
        oomKilled: s.OOMKilled,
        restartCount: c.RestartCount ?? 0,
        health: healthOf(s.Health?.Status),
      };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  async start(id: string): Promise<void> {
    try {
      await engineCall(`starting container ${id}`, this.callTimeoutMs, (abortSignal) => this.docker.getContainer(id).start({ abortSignal }));
    } catch (error) {
      if (statusOf(error) !== ALREADY) throw error;
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      // The engine waits out the grace period before it answers.
      await engineCall(`stopping container ${id}`, graceSeconds * 1000 + this.callTimeoutMs, (abortSignal) => this.docker.getContainer(id).stop({ t: graceSeconds, abortSignal }));
    } catch (error) {
      if (statusOf(error) !== ALREADY) throw error;
    }
  }

  async exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const deadline = Date.now() + timeoutMs;
    // Setting the exec up is bounded by the probe's timeout: an engine too slow for that says nothing about the module.
    const call = <T>(what: string, fn: (abortSignal: AbortSignal) => Promise<T>) => engineCall(what, Math.max(1, Math.min(this.callTimeoutMs, deadline - Date.now())), fn);
    const exec = await call(`making an exec in container ${id}`, (abortSignal) => this.docker.getContainer(id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true, abortSignal }));
    const stream = await call(`starting an exec in container ${id}`, (abortSignal) => exec.start({ hijack: true, stdin: false, abortSignal }));
    const out = new PassThrough();
    let output = '';
    out.on('data', (chunk: Buffer) => {
      if (output.length < OUTPUT_KEPT) output = (output + chunk.toString('utf8')).slice(0, OUTPUT_KEPT);
    });
    this.docker.modem.demuxStream(stream, out, out);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', reject);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ExecTimeout(timeoutMs)), timeoutMs);
        }),
      ]);
      // The stream can end a moment before the engine records the exit code.
      for (;;) {
        const info = await engineCall(`reading an exec's exit code in container ${id}`, this.callTimeoutMs, (abortSignal) => exec.inspect({ abortSignal }));
        if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output: output.trim() };
        if (Date.now() >= deadline) throw new ExecTimeout(timeoutMs);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      clearTimeout(timer);
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    }
  }

  async ping(timeoutMs: number): Promise<boolean> {
    try {
      // dockerode takes the signal here too; its types do not say so.
      const docker = this.docker as unknown as { ping(opts: { abortSignal: AbortSignal }): Promise<unknown> };
      await engineCall('ping', timeoutMs, (abortSignal) => docker.ping({ abortSignal }));
      return true;
    } catch {
      return false;
    }
  }
}

interface ListedContainer {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Labels: Readonly<Record<string, string>> | null;
  /** running, exited, created…; absent in listings that do not say. */
  readonly State?: string;
}

/** Shorter than this, an instance id is not taken for a prefix of a container id. */
const SHORT_ID = 12;

/**
 * The target's container among those listed. The module's containers are those
 * labelled medic.module=<module>, or, when none is, the one named after it.
 * Among them, the instance Smith named: labelled medic.instance=<instance>,
 * named so, or that container's id (12 characters or more of it). When none is
 * that instance, a module with one container has it; a module with several has
 * the first that is not running (the one killed), else the first.
 */
export function locate(listed: readonly ListedContainer[], target: ModuleTarget): string | null {
  const { module, instance } = target;
  const labelled = listed.filter((c) => c.Labels?.[MODULE_LABEL] === module);
  const ofModule = labelled.length > 0 ? labelled : listed.filter((c) => c.Names.includes(`/${module}`));
  if (ofModule.length === 0) return null;
  const named =
    instance === null || instance === ''
      ? undefined
      : ofModule.find((c) => c.Labels?.[INSTANCE_LABEL] === instance || c.Names.includes(`/${instance}`) || (instance.length >= SHORT_ID && c.Id.startsWith(instance)));
  return (named ?? ofModule.find((c) => c.State !== undefined && c.State !== 'running') ?? ofModule[0]!).Id;
}

export class ExecTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`did not finish within ${timeoutMs / 1000}s`);
  }
}

function healthOf(status: string | undefined): EngineHealth {
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : 'none';
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}
