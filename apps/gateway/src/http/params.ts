import { ApiError } from '@medic/eventlog';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path parameter that must be a uuid, lower-cased; anything else is a 400 naming it. */
export function parseUuid(field: string, value: string): string {
  if (!UUID.test(value)) throw new ApiError(400, 'validation_error', `${field}: must be a uuid`, field);
  return value.toLowerCase();
}
