import type { ObjectLiteral } from 'typeorm';
import type { MedicConfig } from '@medic/config';
import type { Projection } from '@medic/eventlog';
import { GATEWAY_DDL, KillView } from '../../gateway/src/decisions/kill-view.entity';
import { killsProjection } from '../../gateway/src/decisions/kills.projection';

/** Every projection `medic replay rebuild` knows, with where it lives. */
export interface RebuildTarget {
  readonly projection: Projection<'kill', ObjectLiteral>;
  readonly schema: string;
  readonly entities: readonly (new () => ObjectLiteral)[];
  readonly ddl: readonly string[];
  topic(config: MedicConfig): string;
}

export const PROJECTIONS: readonly RebuildTarget[] = [
  {
    projection: killsProjection,
    schema: 'gateway',
    entities: [KillView],
    ddl: GATEWAY_DDL,
    topic: (c) => c.kafka.topics.kill_events,
  },
];
