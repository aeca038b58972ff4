import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressBlock } from 'lz4js';
import { compress as snappyCompress } from 'snappyjs';
import { isXerialFramed, lz4Codec, snappyCodec, zstdCodec } from './compression';
import './kafka';

/** What kafkajs hands a codec on produce. */
const encoder = (buffer: Buffer) => ({ buffer });

/** Bytes that compress well and span several 32 KiB snappy blocks. */
const payload = Buffer.from(Array.from({ length: 5_000 }, (_, i) => `record ${i} of a batch;`).join(''));

describe('snappy', () => {
  it('reads the Java client’s xerial framing: magic, versions, then length-prefixed blocks', async () => {
    const first = Buffer.from('a first block of records, ');
    const second = Buffer.from('and a second one');
    const framed = Buffer.concat([
      Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]), // \x82SNAPPY\0
      Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]), // version 1, compatible with 1
      ...[first, second].flatMap((block) => {
        const compressed = snappyCompress(block);
        return [Buffer.from([0, 0, 0, compressed.length]), compressed];
      }),
    ]);
    expect(isXerialFramed(framed)).toBe(true);
    expect((await snappyCodec.decompress(framed)).toString()).toBe('a first block of records, and a second one');
  });

  it('reads one raw snappy block, as librdkafka writes it', async () => {
    const raw = snappyCompress(payload);
    expect(isXerialFramed(raw)).toBe(false);
    expect((await snappyCodec.decompress(raw)).toString()).toBe(payload.toString());
  });

  it('refuses a xerial frame whose block runs past its end', async () => {
    const framed = await snappyCodec.compress(encoder(payload));
    await expect(snappyCodec.decompress(framed.subarray(0, framed.length - 1))).rejects.toThrow(/runs past the end/);
  });

  it('writes the xerial framing, in 32 KiB blocks, and reads it back', async () => {
    const framed = await snappyCodec.compress(encoder(payload));
    expect(isXerialFramed(framed)).toBe(true);
    expect(framed.length).toBeLessThan(payload.length);
    expect(framed.readUInt32BE(16)).toBeLessThan(32 * 1024);
    expect((await snappyCodec.decompress(framed)).toString()).toBe(payload.toString());
  });
});

describe('lz4', () => {
  it('reads an LZ4 frame', async () => {
    // `printf 'medic reads lz4, …' | lz4 -c`: independent blocks, a content checksum.
    const frame = Buffer.from('04224d186440a71c000000ff026d65646963207265616473206c7a342c201100195073206c7a340000000074389598', 'hex');
    expect((await lz4Codec.decompress(frame)).toString()).toBe('medic reads lz4, medic reads lz4, medic reads lz4, medic reads lz4');
  });

  it('reads a frame with a content size, block checksums after each block, and a content checksum', async () => {
    const literal = Buffer.from('stored as it is; ');
    const compressed = Buffer.alloc(payload.length * 2);
    const compressedLength = compressBlock(payload, compressed, 0, payload.length, new Uint32Array(1 << 16));
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    const checksum = Buffer.from([0xde, 0xad, 0xbe, 0xef]); // not verified: Kafka's CRC covers the batch
    const contentSize = Buffer.alloc(8);
    contentSize.writeBigUInt64LE(BigInt(literal.length + payload.length));
    const frame = Buffer.concat([
      u32(0x184d2204),
      Buffer.from([0x40 | 0x20 | 0x10 | 0x08 | 0x04, 0x70]), // version 1, independent blocks, block checksums, content size, content checksum; 4 MiB blocks
      contentSize,
      Buffer.from([0x00]), // header checksum
      u32(0x80000000 | literal.length),
      literal,
      checksum,
      u32(compressedLength),
      compressed.subarray(0, compressedLength),
      checksum,
      u32(0),
      checksum,
    ]);
    expect((await lz4Codec.decompress(frame)).toString()).toBe(Buffer.concat([literal, payload]).toString());
  });

  it('refuses what is no LZ4 frame', async () => {
    await expect(lz4Codec.decompress(Buffer.from('not lz4 at all'))).rejects.toThrow(/bad magic number/);
  });

  it('says plainly that it cannot compress', async () => {
    await expect(lz4Codec.compress(encoder(payload))).rejects.toThrow('lz4 compression is not available');
  });
});

describe('zstd', () => {
  it('reads a zstd frame', async () => {
    // `printf 'medic reads zstd' | zstd -c`
    const frame = Buffer.from('28b52ffd04588100006d65646963207265616473207a737464f81884ba', 'hex');
    expect((await zstdCodec.decompress(frame)).toString()).toBe('medic reads zstd');
  });

  it('says plainly that it cannot compress', async () => {
    await expect(zstdCodec.compress(encoder(payload))).rejects.toThrow('zstd compression is not available');
  });
});

describe('registered with kafkajs', () => {
  it('decodes snappy, lz4 and zstd batches in every process that loads the event log library', () => {
    // The table kafkajs' record batch decoder looks a batch's codec up in.
    expect(CompressionCodecs[CompressionTypes.Snappy]()).toBe(snappyCodec);
    expect(CompressionCodecs[CompressionTypes.LZ4]()).toBe(lz4Codec);
    expect(CompressionCodecs[CompressionTypes.ZSTD]()).toBe(zstdCodec);
  });
});
