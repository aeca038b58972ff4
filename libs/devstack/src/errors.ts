/** What failed, as a code a caller (CLI, CI, tests) can branch on; the message says it to a human. */
export type DevstackErrorCode =
  | 'TOOL_MISSING'
  | 'CONTAINER_ENGINE_UNREACHABLE'
  | 'CONTAINER_ENGINE_EXITED'
  | 'CONTAINER_ENGINE_NOT_READY'
  | 'TARGET_IMAGE_FAILED'
  | 'DEMO_TARGET_FAILED'
  | 'KAFKA_FETCH_FAILED'
  | 'KAFKA_FORMAT_FAILED'
  | 'KAFKA_EXITED'
  | 'KAFKA_NOT_READY'
  | 'POSTGRES_UNREACHABLE'
  | 'POSTGRES_START_FAILED'
  | 'POSTGRES_NOT_READY'
  | 'ELASTICSEARCH_FETCH_FAILED'
  | 'ELASTICSEARCH_START_FAILED'
  | 'ELASTICSEARCH_EXITED'
  | 'ELASTICSEARCH_NOT_READY'
  | 'WORKDIR_NOT_USABLE';

export class DevstackError extends Error {
  override readonly name = 'DevstackError';

  constructor(
    readonly code: DevstackErrorCode,
    message: string,
    /** True when trying again may succeed without changing anything (a port race, a slow network). */
    readonly retriable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
