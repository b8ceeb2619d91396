import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as samples from '../support/sample-images.js';
import { startService } from '../support/service-process.js';
import { startTestServer, uploadFile, type TestServer } from '../support/test-server.js';

/**
 * The gallery page at `/`, driven in headless Chromium (Debian's `chromium` package, which `.ci/run`
 * installs) by playwright-core, against the real service in-process. Locally a missing browser skips
 * with a warning; under CI=true it fails the run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`no Chromium at ${CHROMIUM}, and CI=true: install it (apt-get install -y chromium); browser tests must not skip in CI`);
}
if (!hasChromium) console.warn(`[skip] no Chromium at ${CHROMIUM} (apt-get install -y chromium): the gallery browser tests are skipped`);

/** The little of the DOM these tests touch inside the page (the project's TypeScript has no DOM lib). */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly isConnected: boolean;
  getAttribute(name: string): string | null;
  querySelector(selector: string): { readonly textContent: string | null } | null;
}
interface PageImage extends PageElement {
  readonly src: string;
  readonly complete: boolean;
  readonly naturalWidth: number;
}
interface PageGlobals {
  readonly localStorage: { getItem(key: string): string | null };
  readonly DataTransfer: new () => { readonly items: { add(file: unknown): void } };
  readonly File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
  atob(base64: string): string;
  notReloaded?: boolean;
}

const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let profile: string;
let browser: BrowserContext;
let server: TestServer | undefined;
let page: Page | undefined;
/** Console errors and uncaught exceptions of the page (a CSP violation shows up here). */
let problems: string[];

beforeAll(async () => {
  if (!hasChromium) return;
  profile = await mkdtemp(path.join(os.tmpdir(), 'imagehost-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1100, height: 800 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

afterEach(async () => {
  await page?.close(); // before the server, so its event stream ends on the page's side
  page = undefined;
  await server?.close();
  server = undefined;
});

async function openGallery(options: { worker: boolean }): Promise<{ server: TestServer; page: Page }> {
  server = await startTestServer({}, options);
  page = await browser.newPage();
  problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${server.baseUrl}/`);
  // The first page of images is in (none yet): from here on, events apply live.
  await page.locator('#empty').waitFor({ state: 'visible' });
  return { server, page };
}

/** [data-kind, src] of each tile's image, in grid order. */
function tileImages(p: Page): Promise<[string, string][]> {
  return p.$$eval('#grid .tile-image', (imgs: PageImage[]) => imgs.map((img): [string, string] => [img.dataset.kind ?? '', img.src]));
}

describe.skipIf(!hasChromium)('gallery page in headless Chromium', () => {
  it('uploads by drop and by file input, paints placeholders, swaps in thumbnails live, opens the original and deletes', async () => {
    const { server, page } = await openGallery({ worker: false });
    expect((await page.request.get(`${server.baseUrl}/`)).headers()['content-security-policy']).toContain("script-src 'self'");

    // Drop one file onto the drop zone…
    const dropped = await samples.jpeg(1200, 800);
    const dataTransfer = await page.evaluateHandle(({ name, base64 }) => {
      const { DataTransfer, File, atob } = globalThis as unknown as PageGlobals;
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type: 'image/jpeg' }));
      return transfer;
    }, { name: 'dropped.jpg', base64: Buffer.from(dropped).toString('base64') });
    await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer });
    await expect.poll(() => page.locator('#drop-zone').getAttribute('class')).toContain('drop-zone-active');
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
    // …and choose another with the file input (what a keyboard user does).
    const chosen = await samples.png(640, 960);
    await page.setInputFiles('#file-input', { name: 'chosen.png', mimeType: 'image/png', buffer: Buffer.from(chosen) });

    // A progress bar per file, filled by XHR upload progress (its max became the multipart body's size).
    const rows = page.locator('#uploads .upload[data-state="done"] progress');
    await expect.poll(() => rows.count()).toBe(2);
    for (const [index, size] of [[0, chosen.length], [1, dropped.length]] as const) {
      const { value, max } = await rows.nth(index).evaluate((bar: PageElement & { value: number; max: number }) => ({ value: bar.value, max: bar.max }));
      expect(max).toBeGreaterThan(size);
      expect(value).toBe(max);
    }
    expect(await page.locator('#drop-zone').getAttribute('class')).not.toContain('drop-zone-active');

    // Two tiles, newest first, thumbnails pending (no worker yet): nothing painted, a badge says so.
    const tiles = page.locator('#grid .tile');
    await expect.poll(() => tiles.count()).toBe(2);
    expect(await tiles.evaluateAll((els: PageElement[]) => els.map((el) => [el.querySelector('.tile-name')?.textContent, el.getAttribute('data-status')]))).toEqual([
      ['chosen.png', 'pending'],
      ['dropped.jpg', 'pending'],
    ]);
    expect(await page.locator('#grid .badge:visible').allTextContents()).toEqual(['waiting for thumbnail', 'waiting for thumbnail']);
    const ids = await tiles.evaluateAll((els: PageElement[]) => els.map((el) => el.dataset.id ?? ''));
    const kept = await page.evaluate(
      () => JSON.parse((globalThis as unknown as PageGlobals).localStorage.getItem('imagehost.deleteTokens') ?? '[]') as { id: string; delete_token: string }[],
    );
    expect(kept.map((t) => t.id).sort()).toEqual([...ids].sort());
    expect(await page.locator('#grid .tile-delete:visible').count()).toBe(2);

    // Hold the thumbnail bytes back, so the placeholder that comes with "ready" can be seen first.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/api\/v1\/images\/[^/]+\/thumbnail\?/, async (route) => {
      await released;
      await route.continue();
    });
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).notReloaded = true));
    const firstTile = await tiles.first().elementHandle();

    await server.host.startWorker();
    await expect.poll(() => tileImages(page), { timeout: 15_000 }).toEqual([
      ['placeholder', expect.stringMatching(/^data:image\/png;base64,/) as unknown],
      ['placeholder', expect.stringMatching(/^data:image\/png;base64,/) as unknown],
    ]);
    expect(await page.locator('#grid .badge:visible').count()).toBe(0);
    await page.screenshot({ path: path.join(os.tmpdir(), 'imagehost-gallery-placeholders.png') });

    release();
    await expect.poll(() => tileImages(page), { timeout: 15_000 }).toEqual(
      ids.map((id) => ['thumbnail', expect.stringContaining(`/api/v1/images/${id}/thumbnail?size=300&v=`) as unknown]),
    );
    expect(await page.$$eval('#grid .tile-image', (imgs: PageImage[]) => imgs.map((img) => img.naturalWidth))).toEqual([200, 300]);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).toBe(true);
    expect(await firstTile.evaluate((el: PageElement) => el.isConnected)).toBe(true);
    const screenshot = path.join(os.tmpdir(), 'imagehost-gallery.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.info(`gallery screenshot: ${screenshot}`);

    // A click opens the original, whole, in the lightbox.
    await page.getByRole('button', { name: 'Open the original of dropped.jpg' }).click();
    const original = page.locator('#lightbox-image');
    await expect.poll(() => original.evaluate((img: PageImage) => img.complete && img.naturalWidth)).toBe(1200);
    expect(await original.getAttribute('src')).toBe(`/api/v1/images/${ids[1]}/file`);
    expect(await page.locator('#lightbox-caption').textContent()).toContain('dropped.jpg — 1200 × 800');
    await page.screenshot({ path: path.join(os.tmpdir(), 'imagehost-gallery-lightbox.png') });
    await page.getByRole('button', { name: 'Close' }).click();
    expect(await page.locator('#lightbox').evaluate((dialog: PageElement & { open: boolean }) => dialog.open)).toBe(false);

    // Delete with the token this browser kept: the tile goes, and so does the image.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete dropped.jpg' }).click();
    await expect.poll(() => tiles.count()).toBe(1);
    expect(await page.locator('#status').textContent()).toBe('Deleted dropped.jpg');
    expect((await fetch(`${server.baseUrl}/api/v1/images/${ids[1]}`)).status).toBe(404);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.getItem('imagehost.deleteTokens'))).not.toContain(ids[1]);

    // A reload lists what is left, from the API, with its thumbnail and its delete button.
    await page.reload();
    await expect.poll(() => tileImages(page)).toEqual([['thumbnail', expect.stringContaining(`/api/v1/images/${ids[0]}/thumbnail?size=300&v=`) as unknown]]);
    expect(await page.getByRole('button', { name: 'Delete chosen.png' }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it("adds other clients' uploads live without a delete button, marks failed thumbnails and shows API errors", async () => {
    const { server, page } = await openGallery({ worker: true });

    // Uploaded elsewhere: the tile appears live; this browser holds no token for it.
    const elsewhere = (await (await uploadFile(server.baseUrl, await samples.webp(300, 200), { filename: 'elsewhere.webp' })).json()) as { id: string };
    await expect.poll(() => tileImages(page), { timeout: 15_000 }).toEqual([
      ['thumbnail', expect.stringContaining(`/api/v1/images/${elsewhere.id}/thumbnail?size=300&v=`) as unknown],
    ]);
    expect(await page.locator('#grid .tile-delete:visible').count()).toBe(0);

    // A file that passes the header check but cannot be decoded: the upload succeeds, the thumbnail fails.
    const corrupt = samples.truncated(await samples.jpeg(640, 480), 0.4);
    await page.setInputFiles('#file-input', { name: 'corrupt.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(corrupt) });
    const failed = page.locator('#grid .tile[data-status="failed"]');
    await failed.waitFor({ timeout: 15_000 });
    expect(await failed.locator('.badge').textContent()).toBe('thumbnail failed: INVALID_IMAGE');
    expect(await failed.locator('.tile-delete').isVisible()).toBe(true);

    // Refused by the API: its {error:{code,message}} in the status line and on the upload's row.
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
    await page.locator('#uploads .upload[data-state="error"]').waitFor();
    expect(await page.locator('#status').textContent()).toMatch(/^UNSUPPORTED_MEDIA_TYPE: /);
    expect(await page.locator('#status').getAttribute('data-kind')).toBe('error');
    expect(await page.locator('#uploads .upload[data-state="error"] .upload-state').textContent()).toMatch(/^UNSUPPORTED_MEDIA_TYPE: /);
    expect(await page.locator('#grid .tile').count()).toBe(2);
    // The browser logs the refused upload's 415 itself; nothing else may go wrong.
    expect(problems.filter((text) => !text.includes('status of 415'))).toEqual([]);
  });
});

it('is served by the built service too (dist/ reads the page from the source folder)', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'imagehost-gallery-dist-'));
  const service = await startService({ DATA_DIR: dataDir }, ['node', 'dist/src/main.js', 'serve']);
  try {
    const page = await fetch(`${service.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const script = /src="(\/gallery\/gallery\.js\?v=[0-9a-f]+)"/.exec(await page.text())?.[1];
    expect((await fetch(`${service.baseUrl}${script}`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${service.baseUrl}/gallery/vendor/thumbhash.js`)).status).toBe(200);
  } finally {
    await service.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
