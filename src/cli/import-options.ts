import { parseArgs } from 'node:util';
import { HELP_OPTION, integerOption, parsed, UsageError } from './arguments.js';

export const IMPORT_HELP = `Usage: imagehost import <dir> [--concurrency N] [--manifest FILE] [--json]

Uploads every image file under <dir> (subfolders included, symbolic links not followed) as the
HTTP API would: the format is sniffed from the bytes, MAX_UPLOAD_BYTES and MAX_PIXELS apply.
Each file is uploaded with an idempotency key made from its path, size and modification time, so
running the same import again (within IDEMPOTENCY_WINDOW_SECONDS) creates no duplicates: those
files count as "already imported". With QUEUE=in-process this command also makes the thumbnails
and waits for them; with QUEUE=bullmq it queues them for the workers, as background work that
live uploads overtake.

Options:
  --concurrency N   files uploaded at once (1-64, default 4)
  --manifest FILE   append one JSON line per imported file: {file, id, delete_token, replayed}.
                    Delete tokens are shown nowhere else; a re-run within the window replays them.
  --json            print the summary as one JSON object
  -h, --help        show this help

Skipped (not an error): files that are not images, empty, over MAX_UPLOAD_BYTES or MAX_PIXELS.
Failed: anything else, e.g. a file that claims an image format but cannot be read.
Exit codes: 0 nothing failed, 1 some files failed, 2 usage or configuration error, 130 interrupted.`;

export interface ImportOptions {
  readonly directory: string;
  readonly concurrency: number;
  readonly manifest: string | undefined;
  readonly json: boolean;
}

export function parseImport(args: readonly string[]): ImportOptions | 'help' {
  const options = { ...HELP_OPTION, concurrency: { type: 'string' }, manifest: { type: 'string' }, json: { type: 'boolean' } } as const;
  const { values, positionals } = parsed(() => parseArgs({ args: [...args], options, allowPositionals: true, strict: true }));
  if (values.help) return 'help';
  const [directory, ...extra] = positionals;
  if (directory === undefined) throw new UsageError('the directory to import is missing');
  if (extra.length > 0) throw new UsageError(`one directory only; unexpected: ${extra.join(' ')}`);
  const concurrency = integerOption(values.concurrency, 'concurrency', 4, 1, 64);
  return { directory, concurrency, manifest: values.manifest, json: values.json ?? false };
}
