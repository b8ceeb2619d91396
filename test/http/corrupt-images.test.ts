import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageFormat } from '../../src/domain/image-format.js';
import { withGarbageBody } from '../support/hostile-images.js';
import * as samples from '../support/sample-images.js';
import { serverWithSentinel } from '../support/sentinel.js';
import { bodyOf, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

/**
 * Images that start right and go wrong: a valid header with a garbage body, and cuts at five points, for
 * every accepted format. Each outcome is pinned: refused at upload (the header cannot be read), or
 * accepted from its header and then the thumbnail work settles (failed, or ready where the decoder
 * really does turn garbage into pixels). The fixtures are deterministic (seeded garbage, fixed encodes).
 */
const FILE_CSP = "default-src 'none'; sandbox";

const setup = serverWithSentinel({ THUMBNAIL_SIZES: '150' });
let server: TestServer;
beforeAll(() => {
  server = setup.server;
});

async function expectOriginalServed(id: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const file = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
  expect([file.status, file.headers.get('content-type'), file.headers.get('x-content-type-options')]).toEqual([200, contentType, 'nosniff']);
  expect(file.headers.get('content-security-policy')).toBe(FILE_CSP);
  expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
}

/**
 * Uploads `bytes` and names what happened: `422 INVALID_IMAGE` (refused, with its code), or
 * `201 → ready` / `201 → failed INVALID_IMAGE` (accepted, then how the thumbnail work settled).
 * An accepted upload must still serve its original, and a failed one answer 404 THUMBNAIL_NOT_READY.
 */
async function outcomeOf(bytes: Uint8Array, format: ImageFormat): Promise<string> {
  const [status, body] = await bodyOf(await uploadFile(server.baseUrl, bytes, { filename: `upload.${format}` }));
  if (status !== 201) return `${status} ${(body.error as { code: string }).code}`;
  expect(body.content_type).toBe(`image/${format}`);
  const id = body.id as string;
  const settled = await waitForThumbnail(server.baseUrl, id);
  await expectOriginalServed(id, bytes, `image/${format}`);
  const thumbnail = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail`);
  if (settled.thumbnail_status === 'failed') {
    expect(settled.renditions).toEqual([]);
    const [thumbnailStatus, error] = await bodyOf(thumbnail);
    expect([thumbnailStatus, (error.error as { code: string }).code]).toEqual([404, 'THUMBNAIL_NOT_READY']);
    return `201 → failed ${String(settled.thumbnail_error)}`;
  }
  expect(settled.thumbnail_error).toBeNull();
  expect([thumbnail.status, thumbnail.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
  await thumbnail.arrayBuffer();
  return '201 → ready';
}

const FAILED = '201 → failed INVALID_IMAGE';
const REFUSED = '422 INVALID_IMAGE';

describe('a valid header with a garbage body (same length), every accepted format', () => {
  it.each([
    // libjpeg decodes entropy-coded garbage without complaint (at most warnings, which the resizer tolerates
    // so that real camera JPEGs pass): the thumbnail is noise, as with any JPEG whose scan is damaged.
    ['jpeg', 'the scan data after SOS (no 0xFF, so no marker appears)', '201 → ready'],
    ['png', 'every IDAT (CRCs recomputed)', FAILED],
    ['webp', 'the VP8 data after its frame header', FAILED],
    ['gif', 'the LZW data of every sub-block', FAILED],
    ['avif', 'the mdat payload (the AV1 bitstream)', FAILED],
    ['tiff', 'every strip (JPEG-compressed, as sharp writes TIFF)', FAILED],
  ] as const)('%s with garbage in %s → %s', async (format, _where, expected) => {
    const intact = await samples.image(format, 200, 150);
    const bytes = withGarbageBody(format, intact);
    expect(bytes.length).toBe(intact.length);
    expect(Buffer.from(bytes).equals(Buffer.from(intact))).toBe(false);
    expect(await outcomeOf(bytes, format)).toBe(expected);
  });
});

describe('a truncated image of every accepted format, cut at five points', () => {
  const FRACTIONS = [0.05, 0.3, 0.6, 0.9, 0.99] as const;
  /** Per format, the outcome of each cut, in the order of FRACTIONS. */
  const EXPECTED: Record<ImageFormat, readonly string[]> = {
    // The header comes first and is all probe reads: every cut is accepted, and its decode fails.
    jpeg: [FAILED, FAILED, FAILED, FAILED, FAILED],
    png: [FAILED, FAILED, FAILED, FAILED, FAILED],
    // libwebp and libnsgif check the whole container when reading the header: every cut is refused.
    webp: [REFUSED, REFUSED, REFUSED, REFUSED, REFUSED],
    gif: [REFUSED, REFUSED, REFUSED, REFUSED, REFUSED],
    // 5% of the file cuts the meta box itself; later cuts leave the header whole and the mdat short.
    avif: [REFUSED, FAILED, FAILED, FAILED, FAILED],
    // libtiff writes the image directory last: cut before it, the bytes are no longer a TIFF at all
    // (file-type cannot tell them from TIFF-based raw camera formats: 415); cut inside it, unreadable.
    tiff: ['415 UNSUPPORTED_MEDIA_TYPE', '415 UNSUPPORTED_MEDIA_TYPE', '415 UNSUPPORTED_MEDIA_TYPE', REFUSED, FAILED],
  };
  const CASES = Object.entries(EXPECTED).flatMap(([format, outcomes]) =>
    FRACTIONS.map((fraction, i) => [format as ImageFormat, fraction, outcomes[i]!] as const),
  );
  const full = new Map<ImageFormat, Promise<Uint8Array>>();

  it.each(CASES)('%s cut to %f of its bytes → %s', async (format, fraction, expected) => {
    if (!full.has(format)) full.set(format, samples.image(format, 200, 150));
    const bytes = samples.truncated(await full.get(format)!, fraction);
    expect(await outcomeOf(bytes, format)).toBe(expected);
  });
});
