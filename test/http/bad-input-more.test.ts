import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postChunked } from '../support/chunked-post.js';
import { gifWithHtml, pngWithHtml, SCRIPT_MARKER, withHtmlAppended, withHtmlComment } from '../support/hostile-images.js';
import * as samples from '../support/sample-images.js';
import { listedIds, serverWithSentinel } from '../support/sentinel.js';
import { bodyOf, uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

const FILE_CSP = "default-src 'none'; sandbox";
const SMALL_PNG = await samples.png(8, 8);

const setup = serverWithSentinel({ THUMBNAIL_SIZES: '150' });
let server: TestServer;
beforeAll(() => {
  server = setup.server;
});

/** Served as its sniffed type only, and saved under a name whose extension says so (never `.html`). */
async function expectOriginalServed(id: string, bytes: Uint8Array, contentType: string, savedAs: string): Promise<void> {
  const file = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
  expect(file.status).toBe(200);
  expect(file.headers.get('content-type')).toBe(contentType);
  expect(file.headers.get('x-content-type-options')).toBe('nosniff');
  expect(file.headers.get('content-security-policy')).toBe(FILE_CSP);
  expect(file.headers.get('content-disposition')).toBe(`inline; filename="${savedAs}"`);
  expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
}

describe('polyglots: an image that is also an HTML page', () => {
  it.each([
    ['HTML appended after the JPEG', 'image/jpeg', async () => withHtmlAppended(await samples.jpeg(90, 60)), 'evil.jpg'],
    ['HTML in a JPEG comment segment', 'image/jpeg', async () => withHtmlComment(await samples.jpeg(90, 60)), 'evil.jpg'],
    ['HTML in a PNG tEXt chunk and after IEND', 'image/png', async () => pngWithHtml(await samples.png(90, 60)), 'evil.png'],
    ['HTML in a GIF comment extension and after the trailer', 'image/gif', async () => gifWithHtml(await samples.gif(90, 60)), 'evil.gif'],
  ])('%s is accepted as %s and only ever served as such (nosniff, sandbox, saved as %s), its thumbnail free of the payload', async (_name, type, make, savedAs) => {
    const bytes = await make();
    expect(Buffer.from(bytes).toString('latin1')).toContain(SCRIPT_MARKER);
    const response = await uploadFile(server.baseUrl, bytes, { filename: 'evil.html', type: 'text/html' });
    const [status, body] = await bodyOf(response);
    expect(status).toBe(201);
    expect(body.content_type).toBe(type);
    const id = body.id as string;
    await expectOriginalServed(id, bytes, type, savedAs);
    expect((await waitForThumbnail(server.baseUrl, id)).thumbnail_status).toBe('ready');
    const thumbnail = await fetch(`${server.baseUrl}/api/v1/images/${id}/thumbnail`);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect(thumbnail.headers.get('content-security-policy')).toBe(FILE_CSP);
    expect(Buffer.from(await thumbnail.arrayBuffer()).toString('latin1')).not.toContain(SCRIPT_MARKER);
  });
});

describe('huge or numerous form fields besides the file', () => {
  let before: string[];
  let keysBefore: string[];
  beforeAll(async () => {
    before = await listedIds(server.baseUrl);
    keysBefore = await server.storedKeys();
  });
  afterEach(async () => {
    expect(await listedIds(server.baseUrl)).toEqual(before);
    expect((await server.storedKeys()).sort()).toEqual([...keysBefore].sort());
  });

  /** Posts the parts in order; a part is a text field [name, value] or the file [name, bytes, filename]. */
  async function post(parts: ([string, string] | [string, Uint8Array, string])[]): Promise<[number, string]> {
    const form = new FormData();
    for (const [name, value, filename] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value]), filename);
    }
    const [status, body] = await bodyOf(await fetch(`${server.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form }));
    return [status, (body.error as { code: string }).code];
  }
  const MiB = 'x'.repeat(1024 * 1024);

  it.each([
    ['a 1 MiB text field before the file', [['title', MiB], ['file', SMALL_PNG, 'a.png']]],
    ['a 1 MiB text field after the file', [['file', SMALL_PNG, 'a.png'], ['title', MiB]]],
    ['a field with a 10 KB name', [['n'.repeat(10_000), 'v'], ['file', SMALL_PNG, 'a.png']]],
    ['50 small fields', [...Array.from({ length: 50 }, (_, i) => [`f${i}`, 'v']), ['file', SMALL_PNG, 'a.png']]],
    ['a filename of 100 KB', [['file', SMALL_PNG, `${'a'.repeat(100_000)}.png`]]],
  ] as [string, ([string, string] | [string, Uint8Array, string])[]][])('%s → 400 MALFORMED_MULTIPART, nothing stored', async (_name, parts) => {
    expect(await post(parts)).toEqual([400, 'MALFORMED_MULTIPART']);
  });

  it('a 32 MiB text field sent without Content-Length is refused with 413 while it streams, and stores nothing', async () => {
    // multer truncates a text field at fieldSize (memory stays bounded); the body as a whole passes the upload
    // limit, and that is answered as soon as it does, not after the rest was read.
    const boundary = 'xxFIELDxx';
    const answer = await postChunked(`${server.baseUrl}/api/v1/images/upload`, {
      contentType: `multipart/form-data; boundary=${boundary}`,
      head: `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n`,
      filler: Buffer.alloc(256 * 1024, 0x61),
      fillerBytes: 32 * 1024 * 1024,
      tail: Buffer.concat([
        Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`),
        SMALL_PNG,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    expect([answer.status, answer.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(answer.sentInFull).toBe(false);
  });
});
