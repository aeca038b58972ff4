export {
  causeOf,
  EnvelopeError,
  fromKafkaMessage,
  handledIn,
  handlingTraceOf,
  header,
  newEnvelope,
  SPEC_VERSION,
  toKafkaMessage,
  type Cause,
  type EventEnvelope,
  type LoggedEvent,
} from './envelope';
export { onLogConsumerLost, whenConsumerGivenUp } from './consumer-lost';
export { clientSecurity, createKafka, ensureTopics, logConsumerConfig, parseBrokers, provisionTopics, type KafkaSettings, type TopicSpec } from './kafka';
export { EventLog, type LogTopics } from './event-log';
export { TransactionalProcessor, type BatchHandler, type BatchTimings, type StatelessBatchHandler, type StepResult, type Output, type ProcessorBatch, type ProcessorOptions } from './transactional-processor';
export { advanceOffset, applyRecords, applyRecordsToAll, clearProjection, lockProjection, readTallies, refoldIfChanged, ProjectionOffset, readStream, storedOffset, tallyChanges, type AnyProjection, type Applied, type Positioned, type Projection, type RawRecords, type ReadRecords, type StreamProjection } from './projection';
export { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';
export { endOffsets, readLog, topicEnds, type PartitionRecords, type ReadLogOptions } from './log-reader';
export { foldStepHistory, rebuildProjection, rebuildState, rebuildStepState, type ProjectionRebuild, type RebuildResult, type StepFolded, type StepHistory, type StepStateRebuild } from './replay';
export { describeRecord, RebuildFailed, type RecordAt, type SkippedRecord } from './rebuild-records';
export { applicationNameOf, connectionOf, jsonbColumnsToJson, openDatabase, type DatabaseSettings } from './database';
export { MedicCoreModule, kafkaSettings, type CoreModuleOptions } from './nest/core.module';
export { DATA_SOURCE, KAFKA, MEDIC_CONFIG, METRICS, SERVICE_NAME, STEP_DEPS } from './nest/tokens';
export { EventLogTransport, LogHandlers, type LogDispatch, type LogWorker } from './nest/event-log.transport';
export { NestJsonLogger } from './nest/nest-logger';
export { main, runService, type ServiceDefinition } from './nest/bootstrap';
export { Public, PUBLIC_KEY, RAW_RESPONSE_KEY, RawResponse } from './nest/public';
export { API_VERSION, ApiError, apiEnvelope, apiEnvelopeOf, requestIdOf, type ApiErrorItem, type ResponseEnvelope } from './nest/api-envelope';
export { ErrorEnvelopeFilter, httpStatusOf } from './nest/error-envelope.filter';
export { chunkMessages, insertRowsIgnoringConflicts, MAX_SEND_BYTES, upsertRows } from './chunks';
export { EOS_PRODUCER } from './kafka';
export { cacheCoordinators, coordinatorCacheInstalled } from './coordinator-cache';
export { processorMetrics } from './processor-metrics';
export { deadLetter, decodeRecords, isInfrastructureError, isRetriable, readDeadLetter, type DeadLetterInfo, type DeadLetterSource, type DecodedRecords, type RejectedRecord } from './dead-letters';
export { decodePending, encodePending, loadPositions, slotKey, type PendingOutput, type StepPosition } from './step-positions';
export { databaseOf, projectionRunners, statelessStep, transactionalStep, type ProjectionDefinition, type StatelessStepDefinition, type StepDefinition, type StepDeps } from './service-kit';
export { dispatchEach } from './dispatch-events';
export { CatchUp, type LogProgress } from './catch-up';
export { derivedUuid } from './derived-uuid';
export { DurableTimers, type DurableTimersOptions, type TimersAfter } from './durable-timers';
export { Poller } from './poller';
export { KillAppends } from './kill-appends';
export { RecordSpans } from './record-spans';
