import path from 'node:path';

export type ImportOutcome =
  | { readonly kind: 'imported'; readonly file: string; readonly id: string; readonly deleteToken: string; readonly replayed: boolean }
  | { readonly kind: 'skipped'; readonly file: string; readonly code: string; readonly message: string }
  | { readonly kind: 'failed'; readonly file: string; readonly code: string; readonly message: string };

/** How thumbnail work ended: counted when this process ran it, else queued for the workers. */
export type ThumbnailOutcome = { readonly done: number; readonly failed: number; readonly left: number } | 'queued';

/** Why a file was not imported, by error code; any code not here is a failure. */
export const SKIP_REASONS: Readonly<Record<string, string>> = {
  UNSUPPORTED_MEDIA_TYPE: 'not an image',
  EMPTY_FILE: 'empty file',
  FILE_TOO_LARGE: 'file too large (MAX_UPLOAD_BYTES)',
  IMAGE_TOO_LARGE: 'too many pixels (MAX_PIXELS)',
  IMAGE_NOT_FOUND: 'imported before and deleted since',
  NOT_A_FILE: 'not a regular file',
};

const EXAMPLES_PER_REASON = 5;
const FAILURES_LISTED = 20;

/** The tally of one import run, and its summary as text or JSON. */
export class ImportReport {
  readonly imported: Extract<ImportOutcome, { kind: 'imported' }>[] = [];
  readonly skipped: Extract<ImportOutcome, { kind: 'skipped' }>[] = [];
  readonly failed: Extract<ImportOutcome, { kind: 'failed' }>[] = [];

  constructor(readonly root: string) {}

  add(outcome: ImportOutcome): void {
    if (outcome.kind === 'imported') this.imported.push(outcome);
    else if (outcome.kind === 'skipped') this.skipped.push(outcome);
    else this.failed.push(outcome);
  }

  json(files: number, seconds: number, thumbnails: ThumbnailOutcome, interrupted: boolean): string {
    const relative = (file: string) => path.relative(this.root, file);
    return JSON.stringify({
      directory: this.root,
      files,
      seconds,
      interrupted,
      imported: this.imported.filter((o) => !o.replayed).length,
      already_imported: this.imported.filter((o) => o.replayed).length,
      skipped: this.skipped.map(({ file, code, message }) => ({ file: relative(file), code, reason: SKIP_REASONS[code], message })),
      failed: this.failed.map(({ file, code, message }) => ({ file: relative(file), code, message })),
      thumbnails,
    });
  }

  text(files: number, seconds: number, thumbnails: ThumbnailOutcome, interrupted: boolean): string {
    const relative = (file: string) => path.relative(this.root, file);
    const fresh = this.imported.filter((o) => !o.replayed).length;
    const lines = [
      `${interrupted ? 'Interrupted: ' : ''}${this.imported.length + this.skipped.length + this.failed.length} of ${files} files looked at in ${this.root} (${seconds.toFixed(1)} s)`,
      `  imported:         ${fresh}`,
      `  already imported: ${this.imported.length - fresh}`,
      `  skipped:          ${this.skipped.length}`,
    ];
    for (const [code, group] of groupBy(this.skipped, (o) => o.code)) {
      const names = group.slice(0, EXAMPLES_PER_REASON).map((o) => relative(o.file));
      const more = group.length > names.length ? `, … ${group.length - names.length} more` : '';
      lines.push(`    ${group.length} ${SKIP_REASONS[code] ?? code} [${code}]: ${names.join(', ')}${more}`);
    }
    lines.push(`  failed:           ${this.failed.length}`);
    for (const { file, code, message } of this.failed.slice(0, FAILURES_LISTED)) lines.push(`    ${relative(file)}: [${code}] ${message}`);
    if (this.failed.length > FAILURES_LISTED) lines.push(`    … ${this.failed.length - FAILURES_LISTED} more (--json lists every one)`);
    lines.push(`  thumbnails:       ${thumbnailLine(thumbnails)}`);
    return lines.join('\n');
  }
}

export function thumbnailLine(thumbnails: ThumbnailOutcome): string {
  if (thumbnails === 'queued') return 'queued for the workers';
  const { done, failed, left } = thumbnails;
  const hints = [
    failed > 0 ? '`imagehost regenerate --failed` retries the failed ones' : '',
    left > 0 ? `${left} left pending: \`imagehost regenerate --missing\` makes them` : '',
  ].filter(Boolean);
  return `${done} done, ${failed} failed${hints.length > 0 ? ` (${hints.join('; ')})` : ''}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
