/** Injection tokens shared by every Medic service. */
export const MEDIC_CONFIG = Symbol('MEDIC_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const KAFKA = Symbol('KAFKA');
export const METRICS = Symbol('METRICS');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
/** Config, Kafka, the service's data source and metrics together, as the kit's steps take them. */
export const STEP_DEPS = Symbol('medic.step-deps');
