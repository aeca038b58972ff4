import type { ContainerEngine } from '@medic/containers';
import type { CheckObservation } from '@medic/domain';
import { runProbe, type NamedProbe } from './probes';

/**
 * One health check of a resurrected module: the container as the engine
 * sees it, then (while it runs) its probes, side by side. Only the engine
 * failing to answer is an error; a failing probe is an observation.
 */
export async function observe(engine: ContainerEngine, containerId: string, probes: readonly NamedProbe[]): Promise<CheckObservation> {
  const info = await engine.inspect(containerId);
  if (info === null) return { container: null, probes: [] };
  const container = {
    running: info.running,
    status: info.status,
    exitCode: info.exitCode,
    oomKilled: info.oomKilled,
    restartCount: info.restartCount,
    startedAt: info.startedAt,
    health: info.health,
  };
  // A module that is down scores as an anomaly already; probing it says nothing more.
  if (!info.running) return { container, probes: [] };
  return { container, probes: await Promise.all(probes.map((p) => runProbe(p, engine, containerId))) };
}
