import type { Message } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import type { ControlEvent, ControlEventType, KillEvent, KillEventType, LoggedKillCommand, LoggedKillCommandType } from '@medic/domain';
import { ContractError, decodeMessage, encodeMessage } from './codec';
import * as control from './gen/medic/v1/control_events_pb';
import * as commands from './gen/medic/v1/kill_commands_pb';
import * as kill from './gen/medic/v1/kill_events_pb';

/**
 * The event catalogue: every event type, its CloudEvents type name (which carries
 * the version) and its protobuf schema. Old type versions stay here forever so the
 * log stays readable; an old version is upcast on read, never rewritten.
 */
const KILL_SCHEMAS: { readonly [K in KillEventType]: GenMessage<Message> } = {
  KillReported: kill.KillReportedSchema,
  ContextEnriched: kill.ContextEnrichedSchema,
  EnrichmentRequested: kill.EnrichmentRequestedSchema,
  RiskAssessed: kill.RiskAssessedSchema,
  DecisionMade: kill.DecisionMadeSchema,
  ApprovalRequested: kill.ApprovalRequestedSchema,
  ApprovalGranted: kill.ApprovalGrantedSchema,
  ApprovalDenied: kill.ApprovalDeniedSchema,
  ApprovalExpired: kill.ApprovalExpiredSchema,
  VetoRequested: kill.VetoRequestedSchema,
  VetoCleared: kill.VetoClearedSchema,
  ResurrectionVetoed: kill.ResurrectionVetoedSchema,
  ResurrectionStarted: kill.ResurrectionStartedSchema,
  ResurrectionSucceeded: kill.ResurrectionSucceededSchema,
  ResurrectionFailed: kill.ResurrectionFailedSchema,
  StabilityConfirmed: kill.StabilityConfirmedSchema,
  AnomalyDetected: kill.AnomalyDetectedSchema,
  AnomalyCleared: kill.AnomalyClearedSchema,
  HealthChecked: kill.HealthCheckedSchema,
  RollbackStarted: kill.RollbackStartedSchema,
  RollbackCompleted: kill.RollbackCompletedSchema,
  RollbackFailed: kill.RollbackFailedSchema,
  OutcomeRecorded: kill.OutcomeRecordedSchema,
  CommandRejected: kill.CommandRejectedSchema,
  VetoDeferred: kill.VetoDeferredSchema,
  ResurrectionDeferred: kill.ResurrectionDeferredSchema,
  ResurrectionResumed: kill.ResurrectionResumedSchema,
  RollbackRequested: kill.RollbackRequestedSchema,
};

const COMMAND_SCHEMAS: { readonly [K in LoggedKillCommandType]: GenMessage<Message> } = {
  GrantApproval: commands.GrantApprovalSchema,
  DenyApproval: commands.DenyApprovalSchema,
  ExpireApproval: commands.ExpireApprovalSchema,
  ExpireEnrichment: commands.ExpireEnrichmentSchema,
  ResumeResurrection: commands.ResumeResurrectionSchema,
  RequestRollback: commands.RequestRollbackSchema,
  ReviewApproval: commands.ReviewApprovalSchema,
};

const CONTROL_SCHEMAS: { readonly [K in ControlEventType]: GenMessage<Message> } = {
  ThresholdsUpdated: control.ThresholdsUpdatedSchema,
  ThresholdsRecalibrated: control.ThresholdsRecalibratedSchema,
  ModeChanged: control.ModeChangedSchema,
  SiemCircuitChanged: control.SiemCircuitChangedSchema,
  ModuleReleased: control.ModuleReleasedSchema,
};

/** The streams of the log; each names its event union and its CloudEvents type prefix. */
export interface StreamEvents {
  readonly kill: KillEvent;
  readonly control: ControlEvent;
  /** Commands about a kill (medic.kill.commands); not events, but carried the same way. */
  readonly command: LoggedKillCommand;
}
export type StreamName = keyof StreamEvents;

interface Catalogue {
  readonly prefix: string;
  readonly schemas: Readonly<Record<string, GenMessage<Message>>>;
}

const CATALOGUES: { readonly [S in StreamName]: Catalogue } = {
  kill: { prefix: 'medic.kill.v1.', schemas: KILL_SCHEMAS },
  control: { prefix: 'medic.control.v1.', schemas: CONTROL_SCHEMAS },
  command: { prefix: 'medic.command.v1.', schemas: COMMAND_SCHEMAS },
};

export const CONTENT_TYPE = 'application/protobuf';

export const KILL_EVENT_TYPES = Object.keys(KILL_SCHEMAS) as KillEventType[];
export const CONTROL_EVENT_TYPES = Object.keys(CONTROL_SCHEMAS) as ControlEventType[];
export const KILL_COMMAND_TYPES = Object.keys(COMMAND_SCHEMAS) as LoggedKillCommandType[];

/** CloudEvents `type` of an event, e.g. "medic.kill.v1.DecisionMade". */
export function ceTypeOf<S extends StreamName>(stream: S, event: StreamEvents[S]): string {
  return ceTypesOf(stream, [event.type])[0]!;
}

/** CloudEvents `type`s of a stream's event types by name: what handlers declare they take. */
export function ceTypesOf<S extends StreamName>(stream: S, types: readonly StreamEvents[S]['type'][]): string[] {
  return types.map((type) => CATALOGUES[stream].prefix + type);
}

export function encodeEvent<S extends StreamName>(stream: S, event: StreamEvents[S]): Uint8Array {
  return encodeMessage(schemaFor(stream, event.type), event);
}

/** Decodes a payload by its CloudEvents type; throws ContractError for a type this build does not know. */
export function decodeEvent<S extends StreamName>(stream: S, ceType: string, bytes: Uint8Array): StreamEvents[S] {
  const { prefix } = CATALOGUES[stream];
  if (!ceType.startsWith(prefix)) throw new ContractError(`event type ${ceType} does not belong to the ${stream} stream`);
  const type = ceType.slice(prefix.length);
  const fields = decodeMessage<Record<string, unknown>>(schemaFor(stream, type), bytes);
  return { type, ...fields } as unknown as StreamEvents[S];
}

export function isKnownType(stream: StreamName, ceType: string): boolean {
  const { prefix, schemas } = CATALOGUES[stream];
  return ceType.startsWith(prefix) && Object.hasOwn(schemas, ceType.slice(prefix.length));
}

function schemaFor(stream: StreamName, type: string): GenMessage<Message> {
  const schema = CATALOGUES[stream].schemas[type];
  if (!schema) throw new ContractError(`unknown ${stream} event type ${type}`);
  return schema;
}
