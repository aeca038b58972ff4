import type { ProjectionDefinition } from '@medic/eventlog';
import { moduleKillsProjection, moduleReleasesProjection } from '@medic/standing';
import { KILL_MODULES } from '../kill-modules';
import { CASCADE_KILLS } from '../cascade/cascade';

/*
 * The executor's view of each module's standing: the resurrections it
 * started and whether each was re-killed, folded in its step's own
 * transaction (see runExecutor), and the module's last release from
 * quarantine, folded by a runner of its own.
 */
export const MODULE_KILLS = moduleKillsProjection('executor', { reports: false });
export const MODULE_RELEASES: ProjectionDefinition = { projection: moduleReleasesProjection('executor'), topic: (c) => c.kafka.topics.control_events };

/** The executor's projections, for `medic replay rebuild`. */
export const EXECUTOR_PROJECTIONS: readonly ProjectionDefinition[] = [
  { projection: MODULE_KILLS, topic: (c) => c.kafka.topics.kill_events },
  { projection: KILL_MODULES, topic: (c) => c.kafka.topics.kill_events },
  { projection: CASCADE_KILLS, topic: (c) => c.kafka.topics.kill_events },
  MODULE_RELEASES,
];
