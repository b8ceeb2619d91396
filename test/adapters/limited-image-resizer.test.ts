import { describe, expect, it } from 'vitest';
import { InvalidImageError } from '../../src/domain/errors.js';
import { FakeImageResizer, fakeImageBytes } from '../../src/adapters/memory/fake-image-resizer.js';
import { LimitedImageResizer } from '../../src/adapters/sharp/limited-image-resizer.js';
import type { ImageInfo, ImageResizer, RenderOptions, RenderResult } from '../../src/ports/image-resizer.js';

const OPTIONS: RenderOptions = { sizes: [150], format: 'jpeg', quality: 80 };

/** A resizer whose renders finish only when the test says so, and which counts how many run at once. */
class HeldResizer implements ImageResizer {
  readonly started: string[] = [];
  running = 0;
  mostAtOnce = 0;
  private readonly inner = new FakeImageResizer();
  private readonly releases = new Map<string, (outcome: 'done' | 'fail') => void>();

  probe(bytes: Uint8Array): Promise<ImageInfo> {
    return this.inner.probe(bytes);
  }

  async render(bytes: Uint8Array, options: RenderOptions): Promise<RenderResult> {
    const name = Buffer.from(bytes).toString('latin1');
    this.started.push(name);
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.running);
    const outcome = await new Promise<'done' | 'fail'>((resolve) => this.releases.set(name, resolve));
    this.running--;
    if (outcome === 'fail') throw new InvalidImageError(`cannot decode ${name}`);
    return this.inner.render(bytes, options);
  }

  finish(name: string, outcome: 'done' | 'fail' = 'done'): void {
    const release = this.releases.get(name);
    if (!release) throw new Error(`${name} is not rendering`);
    this.releases.delete(name);
    release(outcome);
  }
}

const image = (width: number) => fakeImageBytes('png', width, 10);
const nameOf = (width: number) => Buffer.from(image(width)).toString('latin1');
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LimitedImageResizer', () => {
  it('runs at most the given number of renders at once, the others in the order they came', async () => {
    const inner = new HeldResizer();
    const limited = new LimitedImageResizer(inner, 2);
    const renders = [100, 200, 300, 400, 500].map((width) => limited.render(image(width), OPTIONS));
    await settle();
    expect(inner.started).toEqual([nameOf(100), nameOf(200)]);

    inner.finish(nameOf(200));
    await settle();
    expect(inner.started).toEqual([nameOf(100), nameOf(200), nameOf(300)]);
    for (const width of [100, 300, 400, 500]) {
      inner.finish(nameOf(width));
      await settle();
    }
    const results = await Promise.all(renders);
    expect(results.map((r) => r.renditions[0]?.width)).toEqual([100, 150, 150, 150, 150]);
    expect(inner.mostAtOnce).toBe(2);
  });

  it('passes a failed render on, and gives its turn to the next', async () => {
    const inner = new HeldResizer();
    const limited = new LimitedImageResizer(inner, 1);
    const failing = limited.render(image(100), OPTIONS);
    const next = limited.render(image(200), OPTIONS);
    await settle();
    inner.finish(nameOf(100), 'fail');
    await expect(failing).rejects.toBeInstanceOf(InvalidImageError);
    await settle();
    expect(inner.started).toEqual([nameOf(100), nameOf(200)]);
    inner.finish(nameOf(200));
    await expect(next).resolves.toMatchObject({ renditions: [{ width: 150 }] });
  });

  it('never makes a probe wait for a render', async () => {
    const inner = new HeldResizer();
    const limited = new LimitedImageResizer(inner, 1);
    const held = limited.render(image(100), OPTIONS);
    await expect(limited.probe(image(300))).resolves.toEqual({ format: 'png', width: 300, height: 10 });
    inner.finish(nameOf(100));
    await held;
  });

  it('refuses a limit that is not a positive whole number', () => {
    for (const renders of [0, -1, 1.5, Number.NaN]) {
      expect(() => new LimitedImageResizer(new FakeImageResizer(), renders)).toThrow(RangeError);
    }
  });
});
