import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_DOCUMENT } from '../../src/adapters/http/openapi.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The API docs page at `/api/docs`, in headless Chromium (as test/e2e/gallery.test.ts drives it):
 * Swagger UI renders the document from files the app serves itself, breaks no CSP rule and asks no
 * other host for anything. Locally a missing browser skips with a warning; under CI=true it fails.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') {
  throw new Error(`no Chromium at ${CHROMIUM}, and CI=true: install it (apt-get install -y chromium); browser tests must not skip in CI`);
}
if (!hasChromium) console.warn(`[skip] no Chromium at ${CHROMIUM} (apt-get install -y chromium): the API docs browser test is skipped`);

const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let profile: string;
let browser: BrowserContext;
let server: TestServer;

beforeAll(async () => {
  if (!hasChromium) return;
  profile = await mkdtemp(path.join(os.tmpdir(), 'imagehost-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  server = await startTestServer({}, { worker: false });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('API docs page in headless Chromium', () => {
  it('renders every operation from local files, with no CSP violation, and tries one out', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.baseUrl) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
    });

    await page.goto(`${server.baseUrl}/api/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('imagehost');
    const operations = Object.values(OPENAPI_DOCUMENT.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);
    await expect.poll(() => page.locator('.opblock').count()).toBe(operations);
    // Swagger UI lists resolver and schema errors of the document in an errors panel.
    expect(await page.locator('.swagger-ui .errors-wrapper').count()).toBe(0);

    // "Try it out" on /healthz: a same-origin fetch, which the page's connect-src allows.
    await page.locator('#operations-operations-liveness .opblock-summary').click();
    await page.locator('#operations-operations-liveness .try-out__btn').click();
    await page.locator('#operations-operations-liveness .execute').click();
    await expect.poll(() => page.locator('#operations-operations-liveness .live-responses-table tbody .response-col_status').first().textContent()).toContain('200');

    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  });
});
