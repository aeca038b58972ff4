import Docker from 'dockerode';
import { repoRoot } from '@medic/devstack';
import { DEFAULT_ENGINE_SOCKET, DockerEngine, MODULE_LABEL, type ContainerInfo } from '@medic/containers';
import { CliError } from './cli-config';
import { endpoint, medicHome, readEndpoints } from './endpoints';

/** The container engine Medic uses: DOCKER_HOST, else the one a running `medic up` names, else the default socket. */
function engineClient(env: NodeJS.ProcessEnv): { docker: Docker; where: string } {
  if (env.DOCKER_HOST) return { docker: new Docker(), where: env.DOCKER_HOST };
  const file = readEndpoints(medicHome(repoRoot(), env));
  const socket = file === null ? null : endpoint(file, 'docker.socket', 'DOCKER_HOST', { optional: true });
  if (socket) return { docker: new Docker({ socketPath: socket }), where: `unix://${socket}` };
  return { docker: new Docker(), where: `unix://${DEFAULT_ENGINE_SOCKET}` };
}

/**
 * Stops the module's container as Smith would, found as the executor finds it
 * (labelled medic.module=<name>, else named so; among several, the instance
 * named, if any). No container, or no engine, is an error: the caller sends no
 * report then.
 */
export async function stopModuleContainer(module: string, instance: string | null, env: NodeJS.ProcessEnv = process.env): Promise<{ container: ContainerInfo; wasRunning: boolean; where: string }> {
  const { docker, where } = engineClient(env);
  const engine = new DockerEngine(docker);
  let container: ContainerInfo | null;
  try {
    container = await engine.find({ module, instance });
  } catch (error) {
    throw new CliError(`the container engine at ${where} did not answer: ${(error as Error).message}; no report sent`);
  }
  if (container === null) throw new CliError(`no container for module ${module} on ${where} (none labelled ${MODULE_LABEL}=${module} or named so); no report sent`);
  if (container.running) {
    try {
      // One that stopped on its own meanwhile is left as it is.
      await engine.stop(container.id, 5);
    } catch (error) {
      throw new CliError(`could not stop container ${container.name}: ${(error as Error).message}; no report sent`);
    }
  }
  return { container, wasRunning: container.running, where };
}
