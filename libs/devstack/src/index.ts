// Real Kafka and Postgres without Docker (ARCHITECTURE.md §6), for `medic up` and the int/e2e tests.
export { DevstackError, type DevstackErrorCode } from './errors';
export { startKafka } from './kafka';
export type { SecuredListener } from './kafka-config';
export { kafkaAnswers } from './kafka-probe';
export { ELASTICSEARCH_USER, startElasticsearch, type ElasticsearchHandle, type ElasticsearchOptions } from './elasticsearch';
export { startPostgres } from './postgres';
export { redact } from './postgres-probe';
export { freePort, isFree, PORTS_FILE, stackPort, type StackPort } from './ports';
export { repoRoot } from './repo';
export { startStack } from './stack';
export type { DevstackOptions, KafkaHandle, KafkaJit, PostgresHandle, PostgresTls, RestartableServer, ServerRun, StackHandle } from './types';
export {
  MEDIC_SERVICES,
  serviceEntry,
  spawnService,
  startService,
  waitUntilServing,
  type MedicServiceName,
  type RestartableService,
  type ServiceProcess,
  type ServiceSpec,
  type SpawnServiceOptions,
} from './medic-services';
export { isAlive } from './processes';
export { describeExit, processDown, processStopped, processUp, stackProcessSchema, stackStateSchema, type ExitStatus, type StackProcess, type StackProcessKind, type StackState } from './stack-state';
export { writeStackState } from './stack-state-file';
export { Supervisor, type SupervisorEvents } from './supervisor';
export { afterFailure, backoffDelay, DEFAULT_RESTART_POLICY, type RestartPolicy, type RestartVerdict } from './supervision';
export { answersOk, statusOf, waitFor, withTimeout, type WaitOptions } from './wait';
export { startContainerEngine, type ContainerEngineHandle, type ContainerEngineOptions } from './container-engine';
export { ensureDemoTarget, ensureTargetImage, TARGET_HEALTH_PATH, TARGET_IMAGE, TARGET_PORT, type DemoTarget, type TargetImage, type TargetImageOptions } from './target-image';
