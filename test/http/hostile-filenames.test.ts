import { beforeAll, describe, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { serverWithSentinel } from '../support/sentinel.js';
import { uploadFile, waitForThumbnail, type TestServer } from '../support/test-server.js';

/**
 * Hostile client filenames: stored and echoed only as a cleaned display name, never part of a storage
 * key, and sent back in a Content-Disposition that no name can break out of.
 */
const setup = serverWithSentinel({ THUMBNAIL_SIZES: '150' });
let server: TestServer;
beforeAll(() => {
  server = setup.server;
});

const BOUNDARY = 'xxNAMExx';

/** A multipart upload whose file part carries `parameter` (e.g. `filename="…"`) byte for byte, as a hand-written client would. */
function rawUpload(bytes: Uint8Array, parameter: Buffer): Promise<Response> {
  const body = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; `),
    parameter,
    Buffer.from('\r\nContent-Type: application/octet-stream\r\n\r\n'),
    bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return fetch(`${server.baseUrl}/api/v1/images/upload`, {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
  });
}

type Sender = 'form' | 'raw' | 'ext';
/** form: fetch's FormData (CR, LF and " escaped as %0D %0A %22, as browsers do); raw: the UTF-8 bytes in filename="…"; ext: RFC 5987 filename*=UTF-8''…. */
function send(sender: Sender, bytes: Uint8Array, name: string): Promise<Response> {
  if (sender === 'form') return uploadFile(server.baseUrl, bytes, { filename: name });
  if (sender === 'raw') return rawUpload(bytes, Buffer.concat([Buffer.from('filename="'), Buffer.from(name, 'utf8'), Buffer.from('"')]));
  const encoded = encodeURIComponent(name).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return rawUpload(bytes, Buffer.from(`filename*=UTF-8''${encoded}`));
}

/** RFC 6266: `inline; filename="quoted-string"` then, when needed, `; filename*=UTF-8''ext-value` (RFC 8187 attr-chars and %XX). */
const DISPOSITION = /^inline; filename="((?:[\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x20-\x7e\x80-\xff])*)"(?:; filename\*=UTF-8''((?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})+))?$/;

/** The name a browser takes from the header (filename* when present), checking the header can carry nothing else. */
function nameIn(disposition: string): string {
  const match = DISPOSITION.exec(disposition);
  if (!match) throw new Error(`not a well-formed Content-Disposition: ${JSON.stringify(disposition)}`);
  const [, quoted = '', extended] = match;
  return extended === undefined ? quoted.replace(/\\(.)/g, '$1') : decodeURIComponent(extended);
}

const KEY = /^(originals\/[0-9a-f]{2}\/[0-9a-f]{64}|renditions\/[0-9a-f]{2}\/[0-9a-f]{64}\/jpeg-q\d+-\d+\.jpg)$/;
let distinct = 0;

/**
 * Stored as `filename`, served as `served` (the extension made to match the sniffed PNG) with
 * `disposition`; or refused with [status, code].
 */
type Outcome = { filename: string; served: string; disposition: string } | [number, string];
const stored = (filename: string, served = filename, disposition = `inline; filename="${served}"`): Outcome => ({ filename, served, disposition });
const A255 = 'a'.repeat(255);

/** Per name, the outcome for every sender, unless a sender's own is given. */
const CASES: [string, string, Outcome, Partial<Record<Sender, Outcome>>?][] = [
  // After the last "/" (in "text/html") only "html…" is left; the controls go.
  ['CR LF and a header after them', 'a\r\nContent-Type: text/html\r\n\r\n<b>.png', stored('html<b>.png'), {
    // Raw, the CR LF ends the part's header line in the middle of the quoted name: no filename, no file.
    raw: [400, 'FILE_REQUIRED'],
  }],
  // busboy refuses a NUL inside a part header; encoded as %00 it reaches the service, which drops it.
  ['a NUL before a second extension', 'evil.png\u0000.html', [400, 'MALFORMED_MULTIPART'], { ext: stored('evil.png.html', 'evil.png.png') }],
  ['a TAB', 'tab\tname.png', stored('tabname.png')],
  ['a Windows path', '..\\..\\x.png', stored('x.png')],
  ['a drive path', 'C:\\Windows\\System32\\cmd.exe', stored('cmd.exe', 'cmd.png')],
  ['/etc/passwd', '/etc/passwd', stored('passwd', 'passwd.png')],
  ['a relative path out with a bidi override', '../../etc/\u202Epasswd.png', stored('passwd.png')],
  ['a right-to-left override hiding the real extension', 'invoice\u202Egnp.exe', stored('invoicegnp.exe', 'invoicegnp.png')],
  ['bidi isolates', '\u2066a\u2069b\u2067c\u2068.png', stored('abc.png')],
  // Kept to its first 255 characters: the extension is lost there, and given back when served.
  ['1000 characters', `${'a'.repeat(996)}.png`, stored(A255, `${A255}.png`)],
  ['quotes closing the parameter', 'a.png"; filename="evil.html', stored('a.png"; filename="evil.html', 'a.png"; filename="evil.png',
    `inline; filename="a.png_; filename=_evil.png"; filename*=UTF-8''a.png%22%3B%20filename%3D%22evil.png`), {
    // Raw, busboy ends the quoted string at the first quote and keeps the first filename parameter.
    raw: stored('a.png'),
  }],
  // Inside the quoted string a parameter is only text.
  ['a semicolon injecting a parameter', "x.png; filename*=UTF-8''evil.html", stored("x.png; filename*=UTF-8''evil.html", "x.png; filename*=UTF-8''evil.png")],
  ['a percent sign', '100% real.png', stored('100% real.png', '100% real.png', `inline; filename="100_ real.png"; filename*=UTF-8''100%25%20real.png`)],
  // A %XX sequence is never decoded into the name; filename* (with % escaped) keeps a browser from decoding it either.
  ['a percent-encoded bidi override', '%E2%80%AEgnp.png', stored('%E2%80%AEgnp.png', '%E2%80%AEgnp.png', `inline; filename="_E2_80_AEgnp.png"; filename*=UTF-8''%25E2%2580%25AEgnp.png`)],
  // RFC 6266 Appendix D: filename= is ASCII (no Latin-1, no quoted-pairs); the name itself goes in filename*.
  ['Latin-1 letters', 'café.png', stored('café.png', 'café.png', `inline; filename="caf_.png"; filename*=UTF-8''caf%C3%A9.png`)],
  ['CJK and accents', 'héllo wörld 猫.png', stored('héllo wörld 猫.png', 'héllo wörld 猫.png', `inline; filename="h_llo w_rld _.png"; filename*=UTF-8''h%C3%A9llo%20w%C3%B6rld%20%E7%8C%AB.png`)],
  ['an emoji (outside the BMP)', '📷 photo.png', stored('📷 photo.png', '📷 photo.png', `inline; filename="_ photo.png"; filename*=UTF-8''%F0%9F%93%B7%20photo.png`)],
  // busboy keeps only the base name, and ".." has none: multer sees a part without a filename and skips it.
  ['only dots', '..', [400, 'FILE_REQUIRED']],
];

describe.each(['form', 'raw', 'ext'] as const)('hostile filenames sent as %s', (sender) => {
  it.each(CASES)('%s', async (_label, name, outcome, bySender) => {
    const expected = bySender?.[sender] ?? outcome;
    const keysBefore = new Set(await server.storedKeys());
    const response = await send(sender, await samples.png(9 + distinct++, 7), name);
    const body = (await response.json()) as Record<string, unknown>;
    if (Array.isArray(expected)) {
      expect([response.status, (body.error as { code: string }).code]).toEqual(expected);
      expect(await server.storedKeys()).toHaveLength(keysBefore.size);
      return;
    }
    expect([response.status, body.filename]).toEqual([201, expected.filename]);
    const id = body.id as string;
    expect((await waitForThumbnail(server.baseUrl, id)).thumbnail_status).toBe('ready');
    const file = await fetch(`${server.baseUrl}/api/v1/images/${id}/file`);
    await file.arrayBuffer();
    const disposition = file.headers.get('content-disposition') ?? '';
    expect(disposition).toBe(expected.disposition);
    // Whatever the name: no control character, nothing outside its parameters, and it reads back as the stored name.
    expect([...disposition].filter((c) => c < ' ' || c === '\u007f')).toEqual([]);
    expect(nameIn(disposition)).toBe(expected.served);
    // filename= is printable ASCII without quoted-pairs; any other name travels in filename*.
    expect(disposition).toMatch(/^inline; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"(; filename\*=.*)?$/);
    if (/[^\x20-\x7e]/u.test(expected.served)) expect(disposition).toContain("filename*=UTF-8''");
    // The objects it added are named by its checksum alone: an original and one rendition.
    const added = (await server.storedKeys()).filter((key) => !keysBefore.has(key)).sort();
    expect(added).toHaveLength(2);
    for (const key of added) expect(key).toMatch(KEY);
    for (const key of added) expect(key).toContain(body.checksum_sha256 as string);
  });
});
