import { create, fromBinary, toBinary, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';

/**
 * Maps between domain values (plain readonly objects, camelCase, enums as
 * lower-case strings, times as ISO-8601 strings, absent as null) and protobuf
 * messages, driven by the message descriptors. The domain's field names are the
 * proto fields' camelCase names, which the round-trip tests check for every event.
 */
type Plain = Record<string, unknown>;

const TIMESTAMP = 'google.protobuf.Timestamp';
const STRUCT = 'google.protobuf.Struct';

export class ContractError extends Error {
  readonly code = 'contract_mismatch';
  readonly retriable = false;
}

export function encodeMessage<D>(schema: GenMessage<Message>, value: D): Uint8Array {
  return toBinary(schema, create(schema, toInit(schema, value as unknown as Plain, schema.typeName)));
}

export function decodeMessage<D>(schema: GenMessage<Message>, bytes: Uint8Array): D {
  return fromMessage(schema, fromBinary(schema, bytes)) as D;
}

function toInit(desc: DescMessage, value: Plain, path: string): Plain {
  const init: Plain = {};
  for (const field of desc.fields) {
    const v = value[field.localName];
    if (v === undefined || v === null) {
      if (v === undefined && field.fieldKind !== 'message' && !hasPresence(field)) {
        throw new ContractError(`${path}.${field.localName} is missing`);
      }
      continue;
    }
    init[field.localName] = toFieldInit(field, v, `${path}.${field.localName}`);
  }
  return init;
}

function toFieldInit(field: DescField, v: unknown, path: string): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return v;
    case 'enum':
      return enumNumber(field.enum.values, v, path);
    case 'message':
      return toMessageInit(field.message, v, path);
    case 'list':
      return (v as unknown[]).map((item, i) =>
        field.listKind === 'enum'
          ? enumNumber(field.enum.values, item, `${path}[${i}]`)
          : field.listKind === 'message'
            ? toMessageInit(field.message, item, `${path}[${i}]`)
            : item,
      );
    case 'map':
      throw new ContractError(`${path}: map fields are not used in Medic contracts`);
  }
}

function toMessageInit(desc: DescMessage, v: unknown, path: string): unknown {
  if (desc.typeName === TIMESTAMP) return timestampFromIso(v, path);
  if (desc.typeName === STRUCT) return v;
  return toInit(desc, v as Plain, path);
}

function fromMessage(desc: DescMessage, msg: object): Plain {
  const out: Plain = {};
  for (const field of desc.fields) {
    out[field.localName] = fromField(field, (msg as Plain)[field.localName]);
  }
  return out;
}

function fromField(field: DescField, v: unknown): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return v === undefined ? null : v;
    case 'enum':
      // An optional enum left out is absent, as an optional scalar is.
      return v === undefined ? null : enumName(field.enum.values, v as number);
    case 'message':
      return v === undefined ? null : fromMessageValue(field.message, v);
    case 'list':
      return (v as unknown[]).map((item) =>
        field.listKind === 'enum'
          ? enumName(field.enum.values, item as number)
          : field.listKind === 'message'
            ? fromMessageValue(field.message, item)
            : item,
      );
    case 'map':
      throw new ContractError(`map fields are not used in Medic contracts`);
  }
}

function fromMessageValue(desc: DescMessage, v: unknown): unknown {
  if (desc.typeName === TIMESTAMP) return timestampDate(v as Timestamp).toISOString();
  if (desc.typeName === STRUCT) return v;
  return fromMessage(desc, v as Plain);
}

function hasPresence(field: DescField): boolean {
  return field.fieldKind === 'scalar' && field.proto.proto3Optional === true;
}

interface EnumValue {
  readonly localName: string;
  readonly number: number;
}

function enumNumber(values: readonly EnumValue[], v: unknown, path: string): number {
  const found = values.find((e) => e.number !== 0 && e.localName.toLowerCase() === v);
  if (!found) throw new ContractError(`${path}: ${JSON.stringify(v)} is not a known value`);
  return found.number;
}

function enumName(values: readonly EnumValue[], n: number): string {
  const found = values.find((e) => e.number === n && n !== 0);
  // An enum number this build does not know comes from a newer writer; keep it visible.
  return found ? found.localName.toLowerCase() : `unknown_${n}`;
}

function timestampFromIso(v: unknown, path: string): Timestamp {
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) throw new ContractError(`${path}: ${JSON.stringify(v)} is not an ISO-8601 time`);
  return timestampFromDate(new Date(ms));
}
