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
  /** The containers of several modules with one listing: module → container, for those that have one. */
  findAll(modules: readonly string[]): Promise<Map<string, ContainerInfo>>;
  inspect(id: string): Promise<ContainerInfo | null>;
  start(id: string): Promise<void>;
}

export const MODULE_LABEL = 'medic.module';

/** The Docker Engine API through dockerode (DOCKER_HOST, or the default socket, unless given another client). */
export class DockerEngine implements ContainerEngine {
  constructor(private readonly docker = new Docker()) {}

  async find(module: string): Promise<ContainerInfo | null> {
    return (await this.findAll([module])).get(module) ?? null;
  }

  async findAll(modules: readonly string[]): Promise<Map<string, ContainerInfo>> {
    const found = new Map<string, ContainerInfo>();
    if (modules.length === 0) return found;
    const listed = await this.docker.listContainers({ all: true });
    for (const module of new Set(modules)) {
      const id = locate(listed, module);
      const info = id === null ? null : await this.inspect(id);
      if (info !== null) found.set(module, info);
    }
    return found;
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

interface ListedContainer {
  readonly Id: string;
  readonly Names: readonly string[];
  readonly Labels: Readonly<Record<string, string>> | null;
}

/** The module's container among those listed: labelled medic.module=<name> first, else named exactly so. */
export function locate(listed: readonly ListedContainer[], module: string): string | null {
  const labelled = listed.find((c) => c.Labels?.[MODULE_LABEL] === module);
  return (labelled ?? listed.find((c) => c.Names.includes(`/${module}`)))?.Id ?? null;
}
