import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createPinoLogger } from './adapters/pino/pino-logger.js';
import { createConsoleLogger } from './cli/console-logger.js';
import { parseInvocation } from './cli/dispatch.js';
import { openDatabase } from './adapters/mikro-orm/database.js';
import { ConfigError, forApiProcess, loadConfig, type Config } from './config.js';
import type Koa from 'koa';
import { createHealthApp } from './adapters/http/http-app.js';
import { createHttpServer } from './adapters/http/http-server.js';
import { metricsRoutes } from './adapters/http/metrics-routes.js';
import { requestLogging } from './adapters/http/request-logging.js';
import { createImagehost, type Imagehost } from './imagehost.js';
import type { Logger } from './ports/logger.js';
import { DependencyUnavailableError, waitForDependency } from './wiring/wait-for-dependency.js';

/** How long in-flight requests and jobs get to finish after SIGTERM/SIGINT; then jobs still running are handed back and the process closes. */
const SHUTDOWN_GRACE_MS = 20_000;
/** Past this, the process exits whatever is still open. Orchestrators commonly kill at 30 s. */
const SHUTDOWN_DEADLINE_MS = 25_000;

/**
 * Runs the HTTP API until SIGTERM/SIGINT, then drains and exits. With the in-process queue it also
 * makes the thumbnails; with BullMQ it only enqueues and `worker` processes make them.
 */
async function serve(config: Config, logger: Logger): Promise<void> {
  // Thumbnail concurrency as forApiProcess gives it: main applies it before the configuration is logged.
  const host = await createImagehost(config, logger);
  if (config.QUEUE === 'in-process') await host.startWorker();
  // Whatever the queue: lost work is queued again (an in-process queue loses everything on exit).
  host.startMaintenance();
  await listen(host.app, config, logger, host, 'imagehost listening');
}

/** Runs thumbnail jobs from the BullMQ queue; serves only /healthz and /readyz on PORT. */
async function worker(config: Config, logger: Logger): Promise<void> {
  if (config.QUEUE !== 'bullmq') {
    throw new ConfigError('the worker command needs QUEUE=bullmq (with the in-process queue, `serve` makes the thumbnails itself)');
  }
  const host = await createImagehost(config, logger);
  await host.startWorker();
  // The health port also serves /metrics: job, render, queue and process metrics of this worker.
  const extraRouters = host.metrics ? [metricsRoutes(host.metrics.registry, { token: config.METRICS_TOKEN })] : [];
  const app = createHealthApp(host.readinessChecks, logger, { outerMiddleware: [requestLogging(logger)], extraRouters });
  await listen(app, config, logger, host, 'imagehost worker running');
}

async function listen(app: Koa, config: Config, logger: Logger, host: Imagehost, message: string): Promise<void> {
  const server: Server = createHttpServer(app.callback(), {
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    idleTimeoutMs: config.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
  });
  server.listen(config.PORT, config.HOST);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const fields = { port, host: config.HOST, database: host.database.dialect, queue: config.QUEUE, storage: config.STORAGE };
  logger.info(fields, `${message} on http://${config.HOST}:${port}`);
  onShutdown(logger, async () => {
    // Stop taking requests first, then let in-flight jobs finish, then close connections.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await host.close({ graceMs: SHUTDOWN_GRACE_MS });
    // Event streams never go idle: end them once everything else has drained.
    server.closeAllConnections();
    await closed;
  });
}

async function migrate(config: Config, logger: Logger): Promise<void> {
  const database = await waitForDependency('database', config.DEPENDENCY_TIMEOUT_SECONDS, logger, () =>
    openDatabase({ url: config.databaseUrl }),
  );
  try {
    const applied = await database.migrate();
    logger.info({ migrations: applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
  } finally {
    await database.close();
  }
}

function onShutdown(logger: Logger, drain: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'shutdown deadline passed; exiting with work in flight');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    drain().then(
      () => {
        logger.info({ signal }, 'stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export async function main(argv: readonly string[]): Promise<void> {
  // The command line first: --help and usage errors are answered without reading the configuration.
  const invocation = parseInvocation(argv);
  if (invocation.kind === 'exit') process.exit(invocation.code);
  const { command } = invocation;
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`imagehost: invalid configuration\n${error.message}`);
    process.exit(2);
  }
  // import and regenerate print their result on stdout: their log lines go to stderr, as plain text.
  const logger = invocation.kind === 'tool' ? createConsoleLogger(config.LOG_LEVEL) : createPinoLogger(config.LOG_LEVEL, { pretty: config.LOG_PRETTY });
  const commands: Record<string, (c: Config, l: Logger) => Promise<void | number>> = {
    serve,
    worker,
    migrate,
    // import and regenerate, their arguments parsed above; they resolve with the exit code.
    ...(invocation.kind === 'tool' ? { [command]: invocation.run } : {}),
  };
  // An API process's share of the cores for thumbnails, applied before the configuration is logged.
  if (command === 'serve') config = forApiProcess(config);
  const run = commands[command];
  if (!run) {
    console.error(`imagehost: unknown command "${command}" (imagehost --help lists them)`);
    process.exit(2);
  }
  // The effective configuration, once, credentials hidden (the pino `config` serializer and redaction).
  if (command === 'serve' || command === 'worker') logger.info({ command, config }, 'imagehost configuration');
  try {
    const exitCode = await run(config, logger);
    // serve and worker keep running once started; a tool is done when it resolves.
    if (typeof exitCode === 'number') process.exit(exitCode);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`imagehost: ${error.message}`);
      process.exit(2);
    }
    // An unreachable dependency is an operator's problem with a clear cause: one line, no stack.
    const fields = error instanceof DependencyUnavailableError ? {} : { err: error };
    logger.error(fields, `imagehost ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
