/** Injection tokens shared by every Medic service. */
export const MEDIC_CONFIG = Symbol('MEDIC_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const KAFKA = Symbol('KAFKA');
export const METRICS = Symbol('METRICS');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
