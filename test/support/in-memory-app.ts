import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Middleware } from 'koa';
import { IdempotentUpload } from '../../src/application/idempotent-upload.js';
import { createHttpApp } from '../../src/adapters/http/http-app.js';
import type { ReadinessCheck } from '../../src/adapters/http/health-routes.js';
import { InMemoryUploadReplays } from '../../src/adapters/memory/in-memory-upload-replays.js';
import { coreKit, type KitOverrides } from './core-kit.js';
import { recordResponses } from './openapi-recorder.js';

export interface InMemoryAppOptions extends KitOverrides {
  readonly adminToken?: string;
  readonly adminMounts?: readonly { readonly path: string; readonly middleware: Middleware }[];
  readonly readinessChecks?: readonly ReadinessCheck[];
  readonly maxUploadBytes?: number;
}

/**
 * The Koa app from createHttpApp (as main builds it) over the in-memory core of {@link coreKit}, on a
 * real socket: for HTTP tests that need to reach into the adapters (inject failures, move the clock).
 */
export async function startInMemoryApp(options: InMemoryAppOptions = {}) {
  const kit = coreKit(options);
  const upload = new IdempotentUpload(kit.upload, new InMemoryUploadReplays(), kit.images, kit.clock, 86_400_000);
  const app = createHttpApp({
    logger: kit.logger,
    maxUploadBytes: options.maxUploadBytes ?? kit.limits.maxUploadBytes,
    adminToken: options.adminToken,
    adminMounts: options.adminMounts ?? [],
    readinessChecks: options.readinessChecks ?? [],
    events: kit.events,
    useCases: { ...kit, upload },
  });
  const responses = recordResponses(app);
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    kit,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    /** Checks every response against the OpenAPI document: call its assertConforming() when done. */
    responses,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
