import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImageEvent, ImageEvents } from '../../ports/image-events.js';

export interface ImageEventsSubject {
  readonly events: ImageEvents;
  close(): Promise<void>;
}

/** How long a test waits for a delivery before failing with a message naming what it waited for. */
const DELIVERY_DEADLINE_MS = 5000;

/** Records what one listener receives and lets a test wait until it has received something. */
export class Recorder {
  readonly received: ImageEvent[] = [];
  private readonly waiters = new Set<() => void>();

  readonly listener = (event: ImageEvent): void => {
    this.received.push(event);
    for (const check of [...this.waiters]) check();
  };

  /** Resolves once `event` (compared by value) has been received. */
  until(event: ImageEvent): Promise<void> {
    return this.untilCondition(`${event.type} of ${event.imageId}`, () => this.received.some((e) => isDeepStrictEqual(e, event)));
  }

  untilCondition(what: string, condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`not delivered within ${DELIVERY_DEADLINE_MS} ms: ${what}; received ${JSON.stringify(this.received)}`));
      }, DELIVERY_DEADLINE_MS);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

let clock = Date.parse('2026-06-01T00:00:00.000Z');
const at = () => new Date((clock += 1000)).toISOString();

export const created = (imageId: string = randomUUID()): ImageEvent => ({ type: 'image.created', imageId, at: at() });
export const deleted = (imageId: string = randomUUID()): ImageEvent => ({ type: 'image.deleted', imageId, at: at() });
export const thumbnails = (
  imageId: string = randomUUID(),
  status: 'pending' | 'processing' | 'ready' | 'failed' = 'ready',
  error: string | null = null,
): ImageEvent => ({ type: 'thumbnails.updated', imageId, status, error, at: at() });

/**
 * The behaviour every ImageEvents must have. `factory` returns a fresh, isolated subject (its own
 * channel) whose subscriptions are effective as soon as subscribe() returns.
 */
export function imageEventsContract(name: string, factory: () => Promise<ImageEventsSubject>): void {
  describe(`${name} (ImageEvents contract)`, () => {
    let subject: ImageEventsSubject | undefined;
    let events: ImageEvents;

    beforeEach(async () => {
      subject = await factory();
      events = subject.events;
    });

    afterEach(async () => {
      await subject?.close();
      subject = undefined;
    });

    function subscribed(): Recorder & { unsubscribe: () => void } {
      const recorder = new Recorder();
      return Object.assign(recorder, { unsubscribe: events.subscribe(recorder.listener) });
    }

    it('delivers every kind of event, field for field', async () => {
      const recorder = subscribed();
      const sent = [created(), deleted(), thumbnails(undefined, 'pending', null), thumbnails(undefined, 'failed', 'INVALID_IMAGE')];
      for (const event of sent) await events.publish(event);
      await recorder.until(sent[3]!);
      expect(recorder.received).toEqual(sent);
    });

    it('delivers events in publish order, each exactly once', async () => {
      const recorder = subscribed();
      const imageId = randomUUID();
      const sent = [created(imageId), thumbnails(imageId, 'processing'), thumbnails(imageId, 'ready'), deleted(imageId)];
      for (const event of sent) await events.publish(event);
      // Publishes not awaited one by one keep their order too.
      const burst = Array.from({ length: 20 }, () => created());
      await Promise.all(burst.map((event) => events.publish(event)));
      const last = created();
      await events.publish(last);
      await recorder.until(last);
      expect(recorder.received).toEqual([...sent, ...burst, last]);
    });

    it('gives a subscriber only the events published after it subscribed', async () => {
      const early = subscribed();
      const before = created();
      await events.publish(before);
      await early.until(before);

      const late = subscribed();
      const after = created();
      await events.publish(after);
      await late.until(after);
      expect(late.received).toEqual([after]);
      expect(early.received).toEqual([before, after]);
    });

    it('gives every subscriber every event, the same function subscribed twice included', async () => {
      const first = subscribed();
      const second = subscribed();
      const twice = new Recorder();
      events.subscribe(twice.listener);
      events.subscribe(twice.listener);
      const sent = [created(), deleted()];
      for (const event of sent) await events.publish(event);
      await Promise.all([first.until(sent[1]!), second.until(sent[1]!), twice.untilCondition('both copies', () => twice.received.length === 4)]);
      expect(first.received).toEqual(sent);
      expect(second.received).toEqual(sent);
      expect(twice.received).toEqual([sent[0], sent[0], sent[1], sent[1]]);
    });

    it('stops delivery to a subscriber that unsubscribed, and only to it; unsubscribing twice is harmless', async () => {
      const leaving = subscribed();
      const staying = subscribed();
      const first = created();
      await events.publish(first);
      await leaving.until(first);

      leaving.unsubscribe();
      leaving.unsubscribe();
      const second = created();
      await events.publish(second);
      await staying.until(second);
      expect(leaving.received).toEqual([first]);
      expect(staying.received).toEqual([first, second]);
    });

    it('keeps a throwing subscriber away from the publisher and the other subscribers', async () => {
      const calls: ImageEvent[] = [];
      events.subscribe((event) => {
        calls.push(event);
        throw new Error('listener failure');
      });
      const healthy = subscribed();
      const sent = [created(), created()];
      for (const event of sent) await expect(events.publish(event)).resolves.toBeUndefined();
      await healthy.until(sent[1]!);
      expect(healthy.received).toEqual(sent);
      expect(calls).toEqual(sent); // it stays subscribed
    });

    it('resolves publish with nobody subscribed', async () => {
      await expect(events.publish(created())).resolves.toBeUndefined();
    });

    it('close() is idempotent, stops delivery, and makes later publish and subscribe harmless', async () => {
      const recorder = subscribed();
      const before = created();
      await events.publish(before);
      await recorder.until(before);

      await Promise.all([events.close(), events.close()]);
      await expect(events.close()).resolves.toBeUndefined();
      await expect(events.publish(created())).resolves.toBeUndefined();
      const afterClose = new Recorder();
      events.subscribe(afterClose.listener);
      // Nothing is in flight to wait for: a closed subject has no listeners left to call.
      await new Promise((resolve) => setImmediate(resolve));
      expect(recorder.received).toEqual([before]);
      expect(afterClose.received).toEqual([]);
    });
  });
}
