import type Docker from 'dockerode';
import { MODULE_LABEL } from '@medic/containers';
import { TARGET_IMAGE } from '@medic/devstack';

/**
 * A container of the target image for module `name` (named so and labelled
 * medic.module=<name>), started once, so that it has a StartedAt for a
 * resurrection to move on from, then stopped as a kill leaves it, unless
 * `running` is asked for.
 */
export async function moduleContainer(docker: Docker, name: string, opts: { running?: boolean } = {}): Promise<Docker.Container> {
  const container = await docker.createContainer({ Image: TARGET_IMAGE, name, Labels: { [MODULE_LABEL]: name } });
  await container.start();
  if (!opts.running) await container.stop({ t: 1 });
  return container;
}
