/**
 * `imagehost/adapters/http`: the HTTP API as a Koa application, built from use cases (mount it, or
 * serve its `callback()`), and the health-only app a worker process serves.
 */
export { createHealthApp, createHttpApp, type HttpAppOptions } from './http-app.js';
export type { ReadinessCheck } from './health-routes.js';
export type { ImageUseCases } from './image-routes.js';
export type { JobUseCases } from './job-routes.js';
