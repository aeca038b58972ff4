import { type MedicConfigData } from './config.schema';
import { type DeepReadonly } from './plain-data';

/** The validated configuration: snake_case keys as in spec 5.1, deeply readonly and frozen. */
export type MedicConfig = DeepReadonly<MedicConfigData>;

export type LogLevel = MedicConfig['logging']['level'];
export type ApiKeyEntry = MedicConfig['api']['keys'][number];
export type ApiRole = ApiKeyEntry['role'];
export type { DeepReadonly };
/** One probe of `resurrection.probes.<module>`. */
export type ProbeConfig = MedicConfig['resurrection']['probes'][string][number];
