import Docker from 'dockerode';

/** A container as the executor needs to know it. */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  /** When it last started (the engine's StartedAt), null if never. */
  readonly startedAt: string | null;
}

/**
 * Where modules run (spec: the resurrection backend). The Docker Engine API
 * now; Kubernetes could be another implementation. Errors are the engine's,
 * with its message.
 */
export interface ContainerEngine {
  /** The module's container: labelled `medic.module=<name>` first, else named after it; null if none. */
  find(module: string): Promise<ContainerInfo | null>;
  inspect(id: string): Promise<ContainerInfo | null>;
  start(id: string): Promise<void>;
}

export const MODULE_LABEL = 'medic.module';

/** The Docker Engine API through dockerode (DOCKER_HOST, or the default socket, unless given another client). */
export class DockerEngine implements ContainerEngine {
  constructor(private readonly docker = new Docker()) {}

  async find(module: string): Promise<ContainerInfo | null> {
    const labelled = await this.docker.listContainers({ all: true, filters: { label: [`${MODULE_LABEL}=${module}`] } });
    // Exact names only (an engine's name filter matches parts of names).
    const byName = labelled.length > 0 ? labelled : (await this.docker.listContainers({ all: true })).filter((c) => c.Names.includes(`/${module}`));
    const first = byName[0];
    return first ? this.inspect(first.Id) : null;
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      const started = c.State.StartedAt && !c.State.StartedAt.startsWith('0001-') ? new Date(c.State.StartedAt).toISOString() : null;
      return { id: c.Id, name: c.Name.replace(/^\//, ''), running: c.State.Running, startedAt: started };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (error) {
      // 304: already started — what was asked for is so.
      if ((error as { statusCode?: number }).statusCode !== 304) throw error;
    }
  }
}
