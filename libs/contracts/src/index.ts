export { ContractError, decodeMessage, encodeMessage } from './codec';
export {
  CONTENT_TYPE,
  CONTROL_EVENT_TYPES,
  KILL_COMMAND_TYPES,
  KILL_EVENT_TYPES,
  ceTypeOf,
  ceTypesOf,
  decodeEvent,
  encodeEvent,
  isKnownType,
  type StreamEvents,
  type StreamName,
} from './registry';
export * as proto from './gen/medic/v1/kill_events_pb';
