/** Medic's release, reported by the gateway's /health and /status, the traces' `service.version` and `medic --version`. */
export const MEDIC_VERSION = '0.1.0';
