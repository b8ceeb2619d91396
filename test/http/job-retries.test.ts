import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { InProcessTaskScheduler } from '../../src/adapters/in-process/in-process-task-scheduler.js';
import { fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { InMemoryStorageService } from '../../src/adapters/memory/in-memory-storage-service.js';
import { DatabaseUnavailableError, StorageUnavailableError } from '../../src/domain/errors.js';
import { thumbnailHandlers } from '../support/core-kit.js';
import { startInMemoryApp } from '../support/in-memory-app.js';

/**
 * A dependency outage during a thumbnail job, as the image's metadata shows it: pending, the try it
 * was, the outage's code and when the next try is due; then ready once the dependency is back.
 */
class OutageStorage extends InMemoryStorageService {
  outage: Error | null = null;
  override get(key: string): Promise<Uint8Array | null> {
    return this.outage ? Promise.reject(this.outage) : super.get(key);
  }
}

const BACKOFF_MS = 400;
const storage = new OutageStorage();
const scheduler = new InProcessTaskScheduler({ concurrency: 1 });
let app: Awaited<ReturnType<typeof startInMemoryApp>>;
beforeAll(async () => {
  app = await startInMemoryApp({ storage, scheduler, thumbnails: { attempts: 3, backoffMs: BACKOFF_MS } });
  await scheduler.start(thumbnailHandlers(app.kit.generate));
});
afterAll(async () => {
  await scheduler.stop();
  await app.close();
  app.responses.assertConforming();
});

async function metadata(id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${app.baseUrl}/api/v1/images/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

it.each([
  ['the object store', new StorageUnavailableError('MinIO get failed: connect ECONNREFUSED'), 'STORAGE_UNAVAILABLE', 640],
  ['the database', new DatabaseUnavailableError('The database is unavailable: connect ECONNREFUSED'), 'DATABASE_UNAVAILABLE', 641],
])('%s down during a job: pending with the code and the next retry, then ready once it is back', async (_name, outage, code, width) => {
  storage.outage = outage;
  // Bytes of its own: the same bytes as an earlier upload would adopt its renditions, with no job work.
  const upload = await fetch(`${app.baseUrl}/api/v1/images/upload`, { method: 'POST', body: form(width) });
  expect(upload.status).toBe(201);
  const { id } = (await upload.json()) as { id: string };

  await vi.waitFor(async () => expect(await metadata(id)).toMatchObject({ thumbnail_attempts: 1, thumbnail_error: code }));
  const waiting = await metadata(id);
  expect(waiting).toMatchObject({ thumbnail_status: 'pending', thumbnail_ready: false });
  // The clock is fixed: the retry is due one backoff (± 20% jitter) after it.
  const due = Date.parse(String(waiting.thumbnail_next_retry_at)) - app.kit.clock.now().getTime();
  expect(due).toBeGreaterThanOrEqual(BACKOFF_MS * 0.8);
  expect(due).toBeLessThanOrEqual(BACKOFF_MS * 1.2);

  storage.outage = null;
  await vi.waitFor(async () => expect(await metadata(id)).toMatchObject({ thumbnail_status: 'ready' }), { timeout: 5000 });
  expect(await metadata(id)).toMatchObject({ thumbnail_attempts: 2, thumbnail_error: null, thumbnail_next_retry_at: null });
});

function form(width: number): FormData {
  const body = new FormData();
  body.append('file', new Blob([fakeImageBytes('jpeg', width, 480)]), 'photo.jpg');
  return body;
}
