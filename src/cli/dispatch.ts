import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import type { Logger } from '../ports/logger.js';
import { EXIT_OK, EXIT_USAGE, HELP_OPTION, parsed, UsageError } from './arguments.js';
import { IMPORT_HELP, parseImport } from './import-options.js';
import { parseRegenerate, REGENERATE_HELP } from './regenerate-options.js';

export const USAGE = `Usage: imagehost [command] [options]

Commands:
  serve               run the HTTP API; with QUEUE=in-process it also makes the thumbnails (default)
  worker              run thumbnail jobs from the BullMQ queue (QUEUE=bullmq); /healthz, /readyz on PORT
  migrate             apply the database migrations and exit
  import <dir>        upload every image file under a directory
  regenerate          queue thumbnail work again: --missing (default), --failed or --all

Run \`imagehost <command> --help\` for a command's options. Settings come from environment
variables (see the README), e.g. DATA_DIR, DATABASE_URL, STORAGE, QUEUE, THUMBNAIL_SIZES.
Exit codes: 0 success, 1 failure, 2 usage or configuration error.`;

const SERVICE_HELP = {
  serve: 'Usage: imagehost serve\n\nRuns the HTTP API until SIGTERM/SIGINT, then drains in-flight requests and jobs. With\nQUEUE=in-process it also makes the thumbnails; with QUEUE=bullmq it only queues them.',
  worker: 'Usage: imagehost worker\n\nRuns thumbnail jobs from the BullMQ queue (needs QUEUE=bullmq) and serves /healthz and /readyz\non PORT. Start as many as you like; SIGTERM lets in-flight jobs finish.',
  migrate: 'Usage: imagehost migrate\n\nApplies the database migrations (DATABASE_URL) and exits.',
} as const;

type ServiceCommand = keyof typeof SERVICE_HELP;

/** What the command line asks for, decided before any configuration is read. */
export type Invocation =
  /** Help was printed (0) or the command line was refused (2): exit with `code`. */
  | { readonly kind: 'exit'; readonly code: number }
  /** A long-running service command, run by main.ts as before. */
  | { readonly kind: 'service'; readonly command: ServiceCommand }
  /** A one-shot tool: run it with the configuration and a console logger, then exit with its code. */
  | { readonly kind: 'tool'; readonly command: string; readonly run: (config: Config, logger: Logger) => Promise<number> };

/**
 * Reads the command line (loading no driver: the commands' code is imported when they run): `imagehost [command] [options]`, `--help` anywhere, `help [command]`.
 * Prints help to stdout and usage errors to stderr itself.
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  const [first = 'serve', ...args] = argv;
  const command = first === '-h' || first === '--help' ? 'help' : first;
  try {
    if (command === 'help') return printed(args[0] === undefined ? USAGE : helpOf(args[0]));
    if (command in SERVICE_HELP) {
      const { values, positionals } = parsed(() => parseArgs({ args: [...args], options: HELP_OPTION, allowPositionals: true, strict: true }));
      if (values.help) return printed(helpOf(command));
      if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
      return { kind: 'service', command: command as ServiceCommand };
    }
    if (command === 'import') {
      const options = parseImport(args);
      if (options === 'help') return printed(IMPORT_HELP);
      return tool(command, async (config, logger) => (await import('./import-command.js')).runImport(options, config, logger));
    }
    if (command === 'regenerate') {
      const options = parseRegenerate(args);
      if (options === 'help') return printed(REGENERATE_HELP);
      return tool(command, async (config, logger) => (await import('./regenerate-command.js')).runRegenerate(options, config, logger));
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { kind: 'exit', code: usageError(command, error) };
  }
}

function helpOf(command: string): string {
  if (command in SERVICE_HELP) return SERVICE_HELP[command as ServiceCommand];
  if (command === 'import') return IMPORT_HELP;
  if (command === 'regenerate') return REGENERATE_HELP;
  throw new UsageError(`unknown command "${command}"`);
}

function printed(text: string): Invocation {
  console.log(text);
  return { kind: 'exit', code: EXIT_OK };
}

/** A usage error found while the command runs (a directory that is not one, a size not configured) exits 2 too. */
function tool(command: string, run: (config: Config, logger: Logger) => Promise<number>): Invocation {
  return {
    kind: 'tool',
    command,
    run: (config, logger) =>
      run(config, logger).catch((error: unknown) => {
        if (error instanceof UsageError) return usageError(command, error);
        throw error;
      }),
  };
}

function usageError(command: string, error: UsageError): number {
  const known = command in SERVICE_HELP || command === 'import' || command === 'regenerate';
  console.error(`imagehost ${known ? `${command}: ` : ''}${error.message}\nRun \`imagehost ${known ? `${command} ` : ''}--help\` for usage.`);
  return EXIT_USAGE;
}
