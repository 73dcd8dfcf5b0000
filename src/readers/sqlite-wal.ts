/**
 * Reads a SQLite `-wal` file's structure from its bytes (sqlite.org/fileformat2.html §4): the 32-byte
 * header, then frames of a 24-byte header plus one page. A frame counts only while its salts match
 * the header's and the running checksum holds; a frame whose "database size" field is non-zero ends a
 * transaction (a commit). Valid frames after the last commit are a torn, uncommitted transaction that
 * SQLite itself ignores. Never loads the whole file: it reads frame by frame, bounded by the file size.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface WalInfo {
  sizeBytes: number;
  /** false when the header's magic, version or checksum is wrong: SQLite ignores such a WAL. */
  headerValid: boolean;
  pageSize: number;
  checkpointSequence: number;
  /** Frames that fit in the file, valid or not. */
  framesInFile: number;
  /** Frames with matching salts and a valid checksum chain, from the start. */
  validFrames: number;
  commitFrames: number;
  /** 0-based index of the last commit frame; -1 when there is none. */
  lastCommitFrameIndex: number;
  /** Valid frames after the last commit: an unfinished transaction, not part of the database. */
  framesAfterLastCommit: number;
}

const MAGIC_LE = 0x377f0682;
const MAGIC_BE = 0x377f0683;
const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

export function readWalInfo(path: string): WalInfo {
  const fd = openSync(path, 'r');
  try {
    const sizeBytes = fstatSync(fd).size;
    const header = Buffer.alloc(WAL_HEADER_BYTES);
    const n = readSync(fd, header, 0, WAL_HEADER_BYTES, 0);
    const empty: WalInfo = {
      sizeBytes,
      headerValid: false,
      pageSize: 0,
      checkpointSequence: 0,
      framesInFile: 0,
      validFrames: 0,
      commitFrames: 0,
      lastCommitFrameIndex: -1,
      framesAfterLastCommit: 0,
    };
    if (n < WAL_HEADER_BYTES) return empty;
    const magic = header.readUInt32BE(0);
    const rawPageSize = header.readUInt32BE(8);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    const validPageSize = pageSize >= 512 && pageSize <= 65536 && (pageSize & (pageSize - 1)) === 0;
    if ((magic !== MAGIC_LE && magic !== MAGIC_BE) || !validPageSize) return { ...empty, pageSize };
    const bigEndian = magic === MAGIC_BE;
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    let sum = checksum(header.subarray(0, 24), bigEndian, [0, 0]);
    const headerValid = sum[0] === header.readUInt32BE(24) && sum[1] === header.readUInt32BE(28);
    const frameBytes = FRAME_HEADER_BYTES + pageSize;
    const framesInFile = Math.floor((sizeBytes - WAL_HEADER_BYTES) / frameBytes);
    const info: WalInfo = { ...empty, headerValid, pageSize, checkpointSequence: header.readUInt32BE(12), framesInFile };
    if (!headerValid) return info;

    const frame = Buffer.alloc(frameBytes);
    for (let i = 0; i < framesInFile; i++) {
      readSync(fd, frame, 0, frameBytes, WAL_HEADER_BYTES + i * frameBytes);
      if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
      sum = checksum(frame.subarray(0, 8), bigEndian, sum);
      sum = checksum(frame.subarray(FRAME_HEADER_BYTES), bigEndian, sum);
      if (sum[0] !== frame.readUInt32BE(16) || sum[1] !== frame.readUInt32BE(20)) break;
      info.validFrames++;
      if (frame.readUInt32BE(4) !== 0) {
        info.commitFrames++;
        info.lastCommitFrameIndex = i;
      }
    }
    info.framesAfterLastCommit = info.validFrames - (info.lastCommitFrameIndex + 1);
    return info;
  } finally {
    closeSync(fd);
  }
}

/** SQLite's WAL checksum: Fibonacci-weighted sums over 32-bit words, in the WAL's byte order. */
function checksum(data: Buffer, bigEndian: boolean, [s0In, s1In]: [number, number]): [number, number] {
  let s0 = s0In;
  let s1 = s1In;
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
