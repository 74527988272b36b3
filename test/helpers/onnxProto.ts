/**
 * A minimal ONNX model writer: the protobuf wire format by hand, for just the
 * messages a small inference graph needs (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto). Field numbers follow onnx/onnx.proto.
 * The suite builds its test models with it, so no model is downloaded.
 */
import { writeFileSync } from 'node:fs';

// ---- protobuf wire format -------------------------------------------------

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Unsigned LEB128; negative numbers as 64-bit two's complement (ten bytes), as protobuf int64 does. */
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const key = (field: number, wireType: number): number[] => varint((field << 3) | wireType);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function float32LE(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return out;
}

function int64LE(values: ArrayLike<number | bigint>): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setBigInt64(i * 8, BigInt(values[i] ?? 0), true);
  return out;
}

/** One message's fields, appended in order. */
class Fields {
  private readonly parts: Uint8Array[] = [];

  int(field: number, value: number | bigint | undefined): this {
    if (value !== undefined) this.parts.push(Uint8Array.from([...key(field, VARINT), ...varint(value)]));
    return this;
  }

  float(field: number, value: number | undefined): this {
    if (value !== undefined) this.parts.push(Uint8Array.from(key(field, FIXED32)), float32LE([value]));
    return this;
  }

  bytes(field: number, value: Uint8Array | undefined): this {
    if (value !== undefined) this.parts.push(Uint8Array.from([...key(field, LENGTH_DELIMITED), ...varint(value.length)]), value);
    return this;
  }

  string(field: number, value: string | undefined): this {
    return value === undefined ? this : this.bytes(field, new TextEncoder().encode(value));
  }

  strings(field: number, values: readonly string[]): this {
    for (const value of values) this.string(field, value);
    return this;
  }

  messages(field: number, values: readonly Uint8Array[]): this {
    for (const value of values) this.bytes(field, value);
    return this;
  }

  packedFloats(field: number, values: ArrayLike<number> | undefined): this {
    return values === undefined || values.length === 0 ? this : this.bytes(field, float32LE(values));
  }

  packedInts(field: number, values: ArrayLike<number | bigint> | undefined): this {
    if (values === undefined || values.length === 0) return this;
    return this.bytes(field, Uint8Array.from(Array.from(values, (v) => varint(v)).flat()));
  }

  done(): Uint8Array {
    return concat(this.parts);
  }
}

// ---- ONNX messages ----------------------------------------------------------

export const DataType = { FLOAT: 1, INT64: 7 } as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** A dimension: a size, or a symbolic name (dim_param) such as 'batch'. */
export type Dim = number | string;

export interface TensorSpec {
  name?: string;
  dataType: DataType;
  dims: readonly number[];
  values: ArrayLike<number> | ArrayLike<bigint>;
  /** 'raw' (raw_data, little-endian bytes, the default) or 'typed' (float_data / int64_data). */
  encoding?: 'raw' | 'typed';
}

export const tensor = {
  float: (name: string | undefined, dims: readonly number[], values: ArrayLike<number>, encoding?: 'raw' | 'typed'): TensorSpec => ({
    name, dataType: DataType.FLOAT, dims, values, encoding,
  }),
  int64: (name: string | undefined, dims: readonly number[], values: ArrayLike<number | bigint>, encoding?: 'raw' | 'typed'): TensorSpec => ({
    name, dataType: DataType.INT64, dims, values: Array.from(values, (v) => BigInt(v)), encoding,
  }),
};

function tensorProto(spec: TensorSpec): Uint8Array {
  const count = spec.dims.reduce((n, d) => n * d, 1);
  if (spec.values.length !== count) {
    throw new Error(`tensor ${spec.name ?? '(unnamed)'}: ${spec.values.length} values for dims [${spec.dims.join(', ')}]`);
  }
  const fields = new Fields().packedInts(1, spec.dims).int(2, spec.dataType);
  const isFloat = spec.dataType === DataType.FLOAT;
  if (spec.encoding === 'typed') {
    if (isFloat) fields.packedFloats(4, spec.values as ArrayLike<number>);
    else fields.packedInts(7, spec.values as ArrayLike<bigint>);
  }
  fields.string(8, spec.name);
  if (spec.encoding !== 'typed') {
    fields.bytes(9, isFloat ? float32LE(spec.values as ArrayLike<number>) : int64LE(spec.values as ArrayLike<bigint>));
  }
  return fields.done();
}

/** Attribute values, tagged with their ONNX type (1.0 and 1 are different attributes). */
export type Attribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorSpec }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly number[] };

export const attr = {
  float: (value: number): Attribute => ({ type: 'float', value }),
  int: (value: number): Attribute => ({ type: 'int', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
  tensor: (value: TensorSpec): Attribute => ({ type: 'tensor', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
};

// AttributeProto.AttributeType
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function attributeProto(name: string, attribute: Attribute): Uint8Array {
  const fields = new Fields().string(1, name);
  switch (attribute.type) {
    case 'float': fields.float(2, attribute.value); break;
    case 'int': fields.int(3, attribute.value); break;
    case 'string': fields.string(4, attribute.value); break;
    case 'tensor': fields.bytes(5, tensorProto(attribute.value)); break;
    case 'floats': fields.packedFloats(7, attribute.value); break;
    case 'ints': fields.packedInts(8, attribute.value); break;
  }
  return fields.int(20, ATTRIBUTE_TYPE[attribute.type]).done();
}

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Readonly<Record<string, Attribute>>;
}

function nodeProto(node: NodeSpec, index: number): Uint8Array {
  return new Fields()
    .strings(1, node.inputs)
    .strings(2, node.outputs)
    .string(3, node.name ?? `${node.op.toLowerCase()}_${index}`)
    .string(4, node.op)
    .messages(5, Object.entries(node.attributes ?? {}).map(([name, a]) => attributeProto(name, a)))
    .done();
}

export interface ValueSpec {
  name: string;
  shape: readonly Dim[];
  elemType?: DataType;
}

function valueInfoProto(value: ValueSpec): Uint8Array {
  const dims = value.shape.map((d) => (typeof d === 'number' ? new Fields().int(1, d) : new Fields().string(2, d)).done());
  const shape = new Fields().messages(1, dims).done();
  const tensorType = new Fields().int(1, value.elemType ?? DataType.FLOAT).bytes(2, shape).done();
  const type = new Fields().bytes(1, tensorType).done();
  return new Fields().string(1, value.name).bytes(2, type).done();
}

export interface ModelSpec {
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  nodes: readonly NodeSpec[];
  initializers?: readonly TensorSpec[];
  graphName?: string;
  producerName?: string;
  opset?: number;
  irVersion?: number;
}

/** The serialized ModelProto (ir_version 8, default-domain opset 17 unless said). */
export function model(spec: ModelSpec): Uint8Array {
  for (const init of spec.initializers ?? []) {
    if (!init.name) throw new Error('an initializer needs a name');
  }
  const graph = new Fields()
    .messages(1, spec.nodes.map(nodeProto))
    .string(2, spec.graphName ?? 'graph')
    .messages(5, (spec.initializers ?? []).map(tensorProto))
    .messages(11, spec.inputs.map(valueInfoProto))
    .messages(12, spec.outputs.map(valueInfoProto))
    .done();
  const opset = new Fields().string(1, '').int(2, spec.opset ?? 17).done();
  return new Fields()
    .int(1, spec.irVersion ?? 8)
    .string(2, spec.producerName ?? 'webrtc-ingest test models')
    .bytes(7, graph)
    .bytes(8, opset)
    .done();
}

/** Writes model bytes to a file and returns its path. */
export function writeModel(path: string, bytes: Uint8Array): string {
  writeFileSync(path, bytes);
  return path;
}
