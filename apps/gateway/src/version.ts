/** Medic's release, reported by /health and /status. */
export const MEDIC_VERSION = '0.1.0';
