import type { MedicConfig } from '@medic/config';
import type { AnyProjection } from '@medic/eventlog';
import { EXECUTOR_PROJECTIONS } from '../../executor/src/backoff/module-standing';
import { EXECUTOR_DDL, EXECUTOR_ENTITIES } from '../../executor/src/executor.schema';
import { GATEWAY_PROJECTIONS, GATEWAY_SCHEMA } from '../../gateway/src/gateway.projections';

/** Every projection `medic replay rebuild` knows, with where it lives. */
export interface RebuildTarget {
  readonly projection: AnyProjection;
  readonly schema: { readonly schema: string; readonly entities: readonly (new () => object)[]; readonly ddl: readonly string[] };
  topic(config: MedicConfig): string;
}

const EXECUTOR_SCHEMA = { schema: 'executor', entities: EXECUTOR_ENTITIES, ddl: EXECUTOR_DDL };

export const PROJECTIONS: readonly RebuildTarget[] = [
  ...GATEWAY_PROJECTIONS.map((p) => ({ ...p, schema: GATEWAY_SCHEMA })),
  ...EXECUTOR_PROJECTIONS.map((p) => ({ ...p, schema: EXECUTOR_SCHEMA })),
];
