import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as Pino, type LoggerOptions } from 'pino';
import { currentLogContext } from './log-context.js';

const REDACTED = '[redacted]';

/** Field names that hold credentials wherever they appear (one level deep too). */
const SECRET_FIELDS = [
  ...['deleteToken', 'delete_token', 'adminToken', 'token', 'password', 'secretKey', 'accessKey'],
  ...['S3_SECRET_KEY', 'S3_ACCESS_KEY', 'ADMIN_TOKEN', 'METRICS_TOKEN'],
];
const SECRET_HEADERS = ['headers.authorization', 'headers.cookie', 'headers["set-cookie"]', 'headers["x-delete-token"]'];
/** Connection URLs: logged with the password cut out, whatever object holds them. */
const URL_FIELDS = new Set(['DATABASE_URL', 'databaseUrl', 'REDIS_URL', 'url']);
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_HEADERS, ...URL_FIELDS].flatMap((path) => [path, `*.${path}`]);

/** Configuration keys whose values are credentials (S3_SECRET_KEY, S3_ACCESS_KEY, ADMIN_TOKEN, METRICS_TOKEN …). */
const SECRET_KEY = /SECRET|PASSWORD|TOKEN|CREDENTIAL|ACCESS_KEY/i;

export interface PinoLoggerOptions {
  /**
   * Human-readable lines through pino-pretty, for development. pino-pretty is a devDependency: where
   * it is not installed the logger writes JSON and says so in one warning line.
   */
  readonly pretty?: boolean;
  /** Where JSON lines go. Default: stdout, written synchronously. */
  readonly destination?: DestinationStream;
  /** Finds pino-pretty's entry file (throws when it is not installed). Replaceable for tests. */
  readonly resolvePretty?: () => string;
}

/**
 * JSON logs on stdout. Every line carries the current request or job bindings (see log-context.ts);
 * secrets are redacted wherever they appear in logged fields, and a `config` field is logged with its
 * credentials hidden and passwords cut out of its URLs.
 */
export function createPinoLogger(level: string, options: PinoLoggerOptions = {}): Pino {
  const base: LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor },
    serializers: { config: redactConfig },
    // A fresh object each time: pino merges the line's own fields into what mixin returns.
    mixin: () => ({ ...currentLogContext() }),
  };
  if (options.pretty) {
    const target = prettyTarget(options.resolvePretty);
    if (target) {
      // In a worker thread; pino flushes it synchronously when the process exits.
      const prettyOptions = { destination: 1, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };
      return pino({ ...base, transport: { target, options: prettyOptions } });
    }
  }
  // Synchronous writes: the last lines before process.exit (a failed start, a shutdown) must not be lost.
  const logger = pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
  if (options.pretty) logger.warn({}, 'LOG_PRETTY=true but pino-pretty is not installed (a devDependency): logging JSON');
  return logger;
}

function censor(value: unknown, path: string[]): unknown {
  const field = path[path.length - 1] ?? '';
  if (URL_FIELDS.has(field)) return typeof value === 'string' ? withoutUrlPassword(value) : value;
  return REDACTED;
}

function prettyTarget(resolve = () => createRequire(import.meta.url).resolve('pino-pretty')): string | null {
  try {
    return resolve();
  } catch {
    return null;
  }
}

/** The configuration as it may be logged: credentials hidden, passwords cut out of URLs (DATABASE_URL, REDIS_URL …). */
export function redactConfig(config: unknown): unknown {
  if (config === null || typeof config !== 'object') return config;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      if (SECRET_KEY.test(key)) return [key, value === undefined ? value : REDACTED];
      return [key, typeof value === 'string' ? withoutUrlPassword(value) : value];
    }),
  );
}

function withoutUrlPassword(value: string): string {
  return value
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^@/?#]*@/i, `$1:${REDACTED}@`)
    .replace(/([?&](?:password|pass|secret|token|sslpassword)=)[^&#]*/gi, `$1${REDACTED}`);
}
