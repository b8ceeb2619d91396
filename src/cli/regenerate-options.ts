import { parseArgs } from 'node:util';
import type { RegenerateRequest } from '../application/regenerate-thumbnails.js';
import { HELP_OPTION, integerListOption, parsed, UsageError } from './arguments.js';

export const REGENERATE_HELP = `Usage: imagehost regenerate [--missing] [--failed] [--all] [--sizes 150,300] [--dry-run] [--json]

Queues thumbnail work again, as background work (fresh uploads keep priority):
  --missing       images still pending or processing, and ready images lacking a rendition of a
                  wanted size in the current THUMBNAIL_FORMAT and THUMBNAIL_QUALITY (the default)
  --failed        images whose thumbnails failed: back to pending with a fresh budget of attempts
  --all           every image (one whose renditions already match the settings finishes at once)
  --sizes LIST    with --missing: only these sizes count as wanted, e.g. after adding 1200 to
                  THUMBNAIL_SIZES, \`--sizes 1200\` picks the images that lack it. It narrows the
                  selection only: each must be in THUMBNAIL_SIZES, and a job always renders every
                  size in the workers' THUMBNAIL_SIZES, so no configured size is ever dropped.
  --dry-run       count the images that would be queued, queue nothing
  --json          print the summary as one JSON object
  -h, --help      show this help
--missing and --failed combine; --all takes every image.

With QUEUE=in-process this command runs the jobs itself and waits for them, with progress; with
QUEUE=bullmq it only queues them for the workers and reports how many it queued.
Exit codes: 0 done, 1 some jobs failed, 2 usage or configuration error, 130 interrupted.`;

export interface RegenerateOptions {
  readonly request: RegenerateRequest;
  readonly json: boolean;
}

export function parseRegenerate(args: readonly string[]): RegenerateOptions | 'help' {
  const options = {
    ...HELP_OPTION,
    missing: { type: 'boolean' },
    failed: { type: 'boolean' },
    all: { type: 'boolean' },
    sizes: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  } as const;
  const { values, positionals } = parsed(() => parseArgs({ args: [...args], options, allowPositionals: true, strict: true }));
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
  if (values.all && (values.missing || values.failed)) throw new UsageError('--all already takes every image; drop --missing and --failed');
  type Selection = RegenerateRequest['select'][number];
  const select: Selection[] = values.all ? ['all'] : [];
  if (!values.all && (values.missing || !values.failed)) select.push('missing');
  if (values.failed) select.push('failed');
  const sizes = integerListOption(values.sizes, 'sizes');
  if (sizes && !select.includes('missing')) throw new UsageError('--sizes narrows --missing only');
  return { request: { select, ...(sizes ? { sizes } : {}), dryRun: values['dry-run'] ?? false }, json: values.json ?? false };
}
