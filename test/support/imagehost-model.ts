import fc from 'fast-check';
import { expect } from 'vitest';
import { IMAGE_FORMATS, type ImageFormat } from '../../src/domain/image-format.js';
import type { AttemptRule } from '../../src/ports/attempt-limiter.js';

/**
 * Model-based testing of the image lifecycle: random sequences of uploads (fresh and identical
 * bytes), deletes (right, wrong, another image's and missing tokens, from a few clients), reads,
 * listings and, where the system has a clock the test controls, the passing of time. A plain
 * in-test model says what must happen; the same commands drive the in-memory core and the real
 * HTTP service through an {@link ImagehostDriver}.
 */

export type DeleteOutcome = 'DELETED' | 'IMAGE_NOT_FOUND' | 'INVALID_DELETE_TOKEN' | 'TOO_MANY_ATTEMPTS';

export interface ImagehostDriver {
  upload(bytes: Uint8Array): Promise<{ id: string; deleteToken: string }>;
  /** The original's bytes, or null when the image is not found (the driver checks metadata and file agree). */
  read(id: string): Promise<Uint8Array | null>;
  delete(id: string, token: string | undefined, client: number): Promise<DeleteOutcome>;
  /** Every image id the system lists, all pages. */
  listIds(): Promise<string[]>;
  /** Moves the system's clock; absent when the test cannot control time. */
  readonly advance?: (ms: number) => void;
}

/** What to upload: any accepted format, a few pixels, and a salt that makes otherwise equal specs differ. */
export interface ImageSpec {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  readonly salt: number;
}

export interface DeleteLimits {
  readonly perImage: AttemptRule;
  readonly perClient: AttemptRule;
}

interface Uploaded {
  readonly id: string;
  readonly token: string;
  readonly bytes: Uint8Array;
}

/** The reference: what exists, what was deleted, and every wrong token within its window. */
export class ImagehostModel {
  readonly live = new Map<string, Uploaded>();
  /** Every upload ever made, live or deleted, in order: the pool commands pick targets from. */
  readonly uploads: Uploaded[] = [];
  private readonly failures = new Map<string, number[]>();
  private now = 0;

  constructor(private readonly limits: DeleteLimits) {}

  advance(ms: number): void {
    this.now += ms;
  }

  /** What a delete must answer, applied to the model. */
  delete(id: string, token: string | undefined, client: number): DeleteOutcome {
    const keys: [string, AttemptRule][] = [
      [`image:${id}`, this.limits.perImage],
      [`client:${client}`, this.limits.perClient],
    ];
    const blocked = keys.some(([key, rule]) => (this.failures.get(key) ?? []).filter((t) => this.now - t < rule.windowMs).length >= rule.maxFailures);
    if (blocked) return 'TOO_MANY_ATTEMPTS';
    const image = this.live.get(id);
    if (!image) return 'IMAGE_NOT_FOUND';
    if (token === image.token) {
      this.live.delete(id);
      return 'DELETED';
    }
    for (const [key] of keys) this.failures.set(key, [...(this.failures.get(key) ?? []), this.now]);
    return 'INVALID_DELETE_TOKEN';
  }
}

export type Setup = { model: ImagehostModel; real: ImagehostDriver };
type ModelCommand = fc.AsyncCommand<ImagehostModel, ImagehostDriver>;

/** An id no upload ever gets (the ids are random 128-bit values). */
const UNKNOWN_ID = 'unknownunknownunknownA';

/** Mostly a live image; one pick in five an upload deleted since, one in ten an id nobody has. */
function pick(model: ImagehostModel, index: number): Uploaded | undefined {
  const live = [...model.live.values()];
  const gone = model.uploads.filter((upload) => !model.live.has(upload.id));
  if (index % 10 === 0) return undefined;
  if (index % 5 === 1 && gone.length > 0) return gone[index % gone.length];
  return live.length > 0 ? live[index % live.length] : gone[index % Math.max(1, gone.length)];
}

async function expectReadable(real: ImagehostDriver, image: Uploaded): Promise<void> {
  const bytes = await real.read(image.id);
  expect(bytes, `image ${image.id} must be readable`).not.toBeNull();
  expect(Buffer.from(bytes!).equals(Buffer.from(image.bytes)), `image ${image.id} must keep its bytes`).toBe(true);
}

class UploadCommand implements ModelCommand {
  constructor(
    private readonly spec: ImageSpec,
    private readonly bytesOf: (spec: ImageSpec) => Promise<Uint8Array>,
  ) {}
  check = () => true;
  async run(model: ImagehostModel, real: ImagehostDriver): Promise<void> {
    await upload(model, real, await this.bytesOf(this.spec));
  }
  toString = () => `upload(${this.spec.format} ${this.spec.width}x${this.spec.height} #${this.spec.salt})`;
}

/** Uploads bytes already uploaded before (their image maybe deleted since): a second id over shared objects. */
class UploadAgainCommand implements ModelCommand {
  constructor(private readonly index: number) {}
  check = (model: Readonly<ImagehostModel>) => model.uploads.length > 0;
  async run(model: ImagehostModel, real: ImagehostDriver): Promise<void> {
    await upload(model, real, model.uploads[this.index % model.uploads.length]!.bytes);
  }
  toString = () => `uploadAgain(${this.index})`;
}

async function upload(model: ImagehostModel, real: ImagehostDriver, bytes: Uint8Array): Promise<void> {
  const { id, deleteToken } = await real.upload(bytes);
  expect(model.uploads.some((u) => u.id === id), 'every upload gets a new id').toBe(false);
  const uploaded = { id, token: deleteToken, bytes };
  model.uploads.push(uploaded);
  model.live.set(id, uploaded);
  await expectReadable(real, uploaded);
}

type TokenChoice = 'right' | 'wrong' | 'another image’s' | 'missing';

class DeleteCommand implements ModelCommand {
  constructor(
    private readonly target: number,
    private readonly token: TokenChoice,
    private readonly client: number,
  ) {}
  check = () => true;
  async run(model: ImagehostModel, real: ImagehostDriver): Promise<void> {
    const image = pick(model, this.target);
    const id = image?.id ?? UNKNOWN_ID;
    const others = model.uploads.filter((u) => u.id !== id);
    const token = {
      right: image?.token ?? 'no-such-token',
      wrong: 'wrong-token-0123456789abcdefghijklmnopqrstu',
      'another image’s': others[this.target % Math.max(1, others.length)]?.token ?? 'no-other-token',
      missing: undefined,
    }[this.token];
    const expected = model.delete(id, token, this.client);
    expect(await real.delete(id, token, this.client), `delete(${id}, ${this.token} token, client ${this.client})`).toBe(expected);
    if (!image) return;
    if (model.live.has(id)) await expectReadable(real, image);
    else expect(await real.read(id), `deleted image ${id} must be gone`).toBeNull();
  }
  toString = () => `delete(${this.target}, ${this.token} token, client ${this.client})`;
}

class ReadCommand implements ModelCommand {
  constructor(private readonly target: number) {}
  check = () => true;
  async run(model: ImagehostModel, real: ImagehostDriver): Promise<void> {
    const image = pick(model, this.target);
    if (image && model.live.has(image.id)) await expectReadable(real, image);
    else expect(await real.read(image?.id ?? UNKNOWN_ID)).toBeNull();
  }
  toString = () => `read(${this.target})`;
}

class ListCommand implements ModelCommand {
  check = () => true;
  async run(model: ImagehostModel, real: ImagehostDriver): Promise<void> {
    expect((await real.listIds()).sort()).toEqual([...model.live.keys()].sort());
  }
  toString = () => 'list()';
}

class AdvanceCommand implements ModelCommand {
  constructor(private readonly ms: number) {}
  check = () => true;
  run(model: ImagehostModel, real: ImagehostDriver): Promise<void> {
    model.advance(this.ms);
    real.advance!(this.ms);
    return Promise.resolve();
  }
  toString = () => `advance(${this.ms / 60_000} min)`;
}

export const imageSpec: fc.Arbitrary<ImageSpec> = fc.record({
  format: fc.constantFrom(...(Object.keys(IMAGE_FORMATS) as ImageFormat[])),
  // Small ranges on purpose: equal specs (identical bytes) come up often.
  width: fc.integer({ min: 1, max: 12 }),
  height: fc.integer({ min: 1, max: 12 }),
  salt: fc.integer({ min: 0, max: 2 }),
});

/** Every command; time moves only when the system has a clock the test controls. */
export function imagehostCommands(options: {
  readonly bytesOf: (spec: ImageSpec) => Promise<Uint8Array>;
  readonly clients: number;
  readonly withTime: boolean;
  readonly maxCommands: number;
}): fc.Arbitrary<Iterable<ModelCommand>> {
  const target = fc.nat({ max: 40 });
  const uploads = imageSpec.map((spec) => new UploadCommand(spec, options.bytesOf));
  const deletes = fc
    .tuple(target, fc.constantFrom<TokenChoice>('right', 'wrong', 'wrong', 'another image’s', 'missing'), fc.nat({ max: options.clients - 1 }))
    .map(([index, token, client]) => new DeleteCommand(index, token, client));
  // Listed twice: uploads and deletes come up twice as often as the other commands.
  const arbitraries: fc.Arbitrary<ModelCommand>[] = [
    uploads,
    uploads,
    fc.nat({ max: 40 }).map((index) => new UploadAgainCommand(index)),
    deletes,
    deletes,
    target.map((index) => new ReadCommand(index)),
    fc.constant(new ListCommand()),
  ];
  if (options.withTime) arbitraries.push(fc.integer({ min: 1, max: 20 }).map((minutes) => new AdvanceCommand(minutes * 60_000)));
  // size 'max': sequences of any length up to maxCommands, not only the short ones of the default size.
  return fc.commands(arbitraries, { maxCommands: options.maxCommands, size: 'max' });
}

/** After a run: everything the model holds is readable with its bytes, everything deleted is gone, the list matches. */
export async function expectConsistent({ model, real }: Setup): Promise<void> {
  for (const image of model.uploads) {
    if (model.live.has(image.id)) await expectReadable(real, image);
    else expect(await real.read(image.id), `deleted image ${image.id}`).toBeNull();
  }
  expect((await real.listIds()).sort()).toEqual([...model.live.keys()].sort());
}
