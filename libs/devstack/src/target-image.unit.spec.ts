import { isStaticElf } from './target-image';

const PT_LOAD = 1;
const PT_INTERP = 3;

/** A 64-bit little-endian ELF header followed by program headers of the given types. */
function elf(types: number[]): Buffer {
  const headerSize = 64;
  const entrySize = 56;
  const file = Buffer.alloc(headerSize + entrySize * types.length);
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = 2; // ELFCLASS64
  file[5] = 1; // little-endian
  file.writeBigUInt64LE(BigInt(headerSize), 0x20);
  file.writeUInt16LE(entrySize, 0x36);
  file.writeUInt16LE(types.length, 0x38);
  types.forEach((type, i) => file.writeUInt32LE(type, headerSize + i * entrySize));
  return file;
}

describe('isStaticElf', () => {
  it('accepts a binary with no interpreter', () => {
    expect(isStaticElf(elf([PT_LOAD, PT_LOAD]))).toBe(true);
  });

  it('rejects a dynamically linked binary', () => {
    expect(isStaticElf(elf([PT_LOAD, PT_INTERP, PT_LOAD]))).toBe(false);
  });

  it('rejects what is not a 64-bit little-endian ELF file', () => {
    expect(isStaticElf(Buffer.from('#!/bin/sh\necho hello\n'))).toBe(false);
    const bigEndian = elf([PT_LOAD]);
    bigEndian[5] = 2;
    expect(isStaticElf(bigEndian)).toBe(false);
  });

  it('rejects a file whose program headers run past its end', () => {
    expect(isStaticElf(elf([PT_LOAD]).subarray(0, 80))).toBe(false);
  });
});
