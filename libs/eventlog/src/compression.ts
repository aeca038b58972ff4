import { decompress as zstdDecompress } from 'fzstd';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import type * as Lz4 from 'lz4js';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs';

/** What kafkajs asks of a codec: it compresses what a producer's encoder holds, and decompresses a fetched batch's records. */
export interface Codec {
  compress(encoder: { readonly buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** kafkajs awaits a codec: what fails is a rejected promise, as from any async function. */
function settled<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}

/** The compress of a codec that only reads. Medic never writes compressed records. */
function cannotWrite(codec: string): Codec['compress'] {
  return () => Promise.reject(new Error(`${codec} compression is not available: Medic reads ${codec}-compressed records but cannot write them`));
}

/** The header the Java client (xerial snappy-java) puts before its length-prefixed blocks: magic, then version and compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = XERIAL_MAGIC.length + 8;
/** snappy-java's own block size. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** Whether `buffer` is snappy in the Java client's framing rather than one raw snappy block. */
export function isXerialFramed(buffer: Buffer): boolean {
  return buffer.length >= XERIAL_HEADER_BYTES && buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

function xerialBlocks(buffer: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < buffer.length; ) {
    if (at + 4 > buffer.length) throw new Error(`snappy (xerial framing): a block length is cut off at byte ${at}`);
    const length = buffer.readUInt32BE(at);
    at += 4;
    if (at + length > buffer.length) throw new Error(`snappy (xerial framing): a block of ${length} bytes at byte ${at} runs past the end (${buffer.length})`);
    blocks.push(snappyUncompress(buffer.subarray(at, at + length)));
    at += length;
  }
  return blocks;
}

function xerialFramed(buffer: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, XERIAL_MAGIC.length);
  header.writeInt32BE(1, XERIAL_MAGIC.length + 4);
  const parts: Buffer[] = [header];
  for (let at = 0; at < buffer.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappyCompress(buffer.subarray(at, at + XERIAL_BLOCK_BYTES));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/**
 * Snappy as Kafka clients write it: the Java client in xerial framing,
 * librdkafka as one raw block. Written in the Java client's framing, which
 * the Kafka clients read.
 */
export const snappyCodec: Codec = {
  compress: ({ buffer }) => settled(() => xerialFramed(buffer)),
  decompress: (buffer) => settled(() => (isXerialFramed(buffer) ? Buffer.concat(xerialBlocks(buffer)) : snappyUncompress(buffer))),
};

const LZ4_MAGIC = 0x184d2204;
/** Frame descriptor flags (FLG). */
const LZ4_VERSION_MASK = 0xc0;
const LZ4_VERSION = 0x40;
const LZ4_BLOCK_CHECKSUM = 0x10;
const LZ4_CONTENT_SIZE = 0x08;
const LZ4_DICTIONARY_ID = 0x01;
const LZ4_UNCOMPRESSED_BLOCK = 0x80000000;

/**
 * An LZ4 frame, walked here and its blocks decoded by lz4js: lz4js' own frame
 * reader looks for a block's checksum before the block rather than after it.
 * Checksums are not verified; Kafka's CRC covers the whole batch.
 */
function lz4DecompressFrame(frame: Buffer, decompressBlock: typeof Lz4['decompressBlock']): Buffer {
  if (frame.length < 7 || frame.readUInt32LE(0) !== LZ4_MAGIC) throw new Error('lz4: not an LZ4 frame (bad magic number)');
  const flags = frame[4]!;
  if ((flags & LZ4_VERSION_MASK) !== LZ4_VERSION) throw new Error(`lz4: unknown frame version in flags 0x${flags.toString(16)}`);
  if ((flags & LZ4_DICTIONARY_ID) !== 0) throw new Error('lz4: frames compressed with a dictionary are not supported');
  const blockSizeId = (frame[5]! >> 4) & 0x07;
  if (blockSizeId < 4) throw new Error(`lz4: unknown maximum block size ${blockSizeId}`);
  // 4 → 64 KiB, 5 → 256 KiB, 6 → 1 MiB, 7 → 4 MiB.
  const maxBlockBytes = 1 << (8 + 2 * blockSizeId);
  const checksumBytes = (flags & LZ4_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
  const blocks: { readonly start: number; readonly length: number; readonly raw: boolean }[] = [];
  let at = 6 + ((flags & LZ4_CONTENT_SIZE) !== 0 ? 8 : 0) + 1;
  for (;;) {
    if (at + 4 > frame.length) throw new Error('lz4: the frame ends before its end mark');
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const length = word & ~LZ4_UNCOMPRESSED_BLOCK;
    if (at + length > frame.length) throw new Error(`lz4: a block of ${length} bytes at byte ${at} runs past the end (${frame.length})`);
    blocks.push({ start: at, length, raw: (word & LZ4_UNCOMPRESSED_BLOCK) !== 0 });
    at += length + checksumBytes;
  }
  // One buffer for the whole frame: a block may refer back into the blocks before it. A compressed
  // block's input byte stands for at most 255 bytes of output (a run-length byte).
  const out = Buffer.alloc(blocks.reduce((size, b) => size + (b.raw ? b.length : Math.min(maxBlockBytes, 255 * b.length + 64)), 0));
  let written = 0;
  for (const b of blocks) {
    if (b.raw) written += frame.copy(out, written, b.start, b.start + b.length);
    else written = decompressBlock(frame, out, b.start, b.length, written);
  }
  if (written > out.length) throw new Error(`lz4: a block decodes to more than a block can hold (${maxBlockBytes} bytes at most)`);
  return out.subarray(0, written);
}

/** lz4js takes 5 MiB of working buffers when it is loaded: loaded at the first LZ4 batch, not in every process. */
const lz4 = (): Promise<typeof Lz4> => import('lz4js');

/**
 * LZ4 as Kafka writes it since message format v1: one LZ4 frame. Read only:
 * lz4js chains its frames' blocks, which the broker refuses, and may start a
 * match in a block's last 12 bytes, which the LZ4 block format forbids.
 */
export const lz4Codec: Codec = {
  compress: cannotWrite('lz4'),
  async decompress(buffer) {
    return lz4DecompressFrame(buffer, (await lz4()).decompressBlock);
  },
};

/** Zstandard frames. Read only: fzstd only decompresses. */
export const zstdCodec: Codec = {
  compress: cannotWrite('zstd'),
  decompress: (buffer) =>
    settled(() => {
      const out = zstdDecompress(buffer);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }),
};

/**
 * kafkajs decodes gzip itself and throws KafkaJSNotImplemented for the other
 * codecs, which stops a consumer for good. Java clients and librdkafka send
 * snappy, lz4 and zstd, so every Medic process reads them all.
 */
export function registerCompressionCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
