/**
 * The layout of one object's file: `IHS1`, a 4-byte big-endian header length, a UTF-8 JSON header
 * `{"contentType": …}`, then the bytes. Any file that does not parse so is reported as corrupt.
 */
const MAGIC = Buffer.from('IHS1');
export const PREAMBLE_LENGTH = MAGIC.length + 4;
/** A content type is short; a bigger header length means a corrupt file, not a reason to allocate gigabytes. */
const MAX_HEADER_LENGTH = 64 * 1024;

export interface Header {
  readonly contentType: string;
  readonly dataOffset: number;
}

export function encodeHeader(contentType: string): Buffer {
  const json = Buffer.from(JSON.stringify({ contentType }));
  const preamble = Buffer.alloc(PREAMBLE_LENGTH);
  MAGIC.copy(preamble);
  preamble.writeUInt32BE(json.length, MAGIC.length);
  return Buffer.concat([preamble, json]);
}

export function headerLength(preamble: Buffer, key: string): number {
  if (preamble.length < PREAMBLE_LENGTH || !preamble.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw corrupt(key);
  }
  const length = preamble.readUInt32BE(MAGIC.length);
  if (length > MAX_HEADER_LENGTH) throw corrupt(key);
  return length;
}

export function decodeHeader(file: Buffer, key: string): Header {
  const dataOffset = PREAMBLE_LENGTH + headerLength(file, key);
  if (file.length < dataOffset) throw corrupt(key);
  let header: unknown;
  try {
    header = JSON.parse(file.subarray(PREAMBLE_LENGTH, dataOffset).toString('utf8'));
  } catch (error) {
    throw corrupt(key, error);
  }
  const contentType = (header as { contentType?: unknown } | null)?.contentType;
  if (typeof contentType !== 'string') throw corrupt(key);
  return { contentType, dataOffset };
}

function corrupt(key: string, cause?: unknown): Error {
  return new Error(`The file for storage key ${JSON.stringify(key)} is not a valid imagehost object`, { cause });
}
