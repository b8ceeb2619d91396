import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryImageEvents } from '../../src/adapters/memory/in-memory-image-events.js';
import { MemoryLogger } from '../../src/adapters/memory/memory-logger.js';
import { RedisImageEvents } from '../../src/adapters/redis/redis-image-events.js';
import { created, deleted, imageEventsContract, Recorder, thumbnails } from '../contracts/image-events.contract.js';
import { serviceReachable, TEST_REDIS_URL } from '../support/real-services.js';

const redisReachable = await serviceReachable('Redis', TEST_REDIS_URL);
const newChannel = () => `imagehost-test:image-events:${randomUUID()}`;

imageEventsContract('InMemoryImageEvents', () => {
  const events = new InMemoryImageEvents();
  return Promise.resolve({ events, close: () => events.close() });
});

describe('InMemoryImageEvents', () => {
  it('delivers after publish() returns, never inside the publisher’s call stack', async () => {
    const events = new InMemoryImageEvents();
    const recorder = new Recorder();
    events.subscribe(recorder.listener);
    const event = created();
    const published = events.publish(event);
    expect(recorder.received).toEqual([]);
    await published;
    await recorder.until(event);
  });

  it('counts its subscriptions, and logs a throwing listener', async () => {
    const logger = new MemoryLogger();
    const events = new InMemoryImageEvents({ logger });
    const unsubscribe = events.subscribe(() => {
      throw new Error('boom');
    });
    const recorder = new Recorder();
    const unsubscribeRecorder = events.subscribe(recorder.listener);
    expect(events.listenerCount).toBe(2);
    const event = created();
    await events.publish(event);
    await recorder.until(event);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'warn', message: 'image event listener threw' })]);
    unsubscribe();
    unsubscribeRecorder();
    expect(events.listenerCount).toBe(0);
  });
});

describe.skipIf(!redisReachable)('RedisImageEvents on Redis', () => {
  const cleanUps: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    await Promise.all(cleanUps.splice(0).map((cleanUp) => cleanUp()));
  });

  function open(channel: string, logger?: MemoryLogger): RedisImageEvents {
    const events = new RedisImageEvents({ url: TEST_REDIS_URL, channel, logger });
    cleanUps.push(() => events.close());
    return events;
  }

  imageEventsContract('RedisImageEvents', async () => {
    const events = new RedisImageEvents({ url: TEST_REDIS_URL, channel: newChannel() });
    await events.ready();
    return { events, close: () => events.close() };
  });

  it('delivers across instances: publish on A reaches subscribers on A and on B, in order', async () => {
    const channel = newChannel();
    const a = open(channel);
    const b = open(channel);
    await Promise.all([a.ready(), b.ready()]);
    const onA = new Recorder();
    const onB = new Recorder();
    a.subscribe(onA.listener);
    b.subscribe(onB.listener);

    const imageId = randomUUID();
    const sent = [created(imageId), thumbnails(imageId, 'failed', 'INVALID_IMAGE'), deleted(imageId)];
    for (const event of sent) await a.publish(event);
    await Promise.all([onA.until(sent[2]!), onB.until(sent[2]!)]);
    expect(onB.received).toEqual(sent);
    expect(onA.received).toEqual(sent);

    const fromB = created();
    await b.publish(fromB);
    await onA.until(fromB);
  });

  it('does not deliver events of another channel', async () => {
    const channel = newChannel();
    const other = open(newChannel());
    const events = open(channel);
    await events.ready();
    const recorder = new Recorder();
    events.subscribe(recorder.listener);
    await other.publish(created());
    const mine = created();
    await events.publish(mine);
    await recorder.until(mine);
    expect(recorder.received).toEqual([mine]);
  });

  it('ignores malformed messages with a warning and keeps delivering', async () => {
    const channel = newChannel();
    const logger = new MemoryLogger();
    const events = open(channel, logger);
    await events.ready();
    const recorder = new Recorder();
    events.subscribe(recorder.listener);
    const raw = new Redis(TEST_REDIS_URL);
    cleanUps.push(() => raw.quit());
    const malformed = [
      'not json',
      '"a string"',
      'null',
      JSON.stringify({ type: 'image.exploded', imageId: 'x', at: 'y' }),
      JSON.stringify({ type: 'image.created', at: 'y' }),
      JSON.stringify({ type: 'thumbnails.updated', imageId: 'x', at: 'y', status: 'done', error: null }),
      JSON.stringify({ type: 'thumbnails.updated', imageId: 'x', at: 'y', status: 'failed', error: 42 }),
    ];
    for (const message of malformed) await raw.publish(channel, message);
    const valid = created();
    await events.publish(valid);
    await recorder.until(valid);
    expect(recorder.received).toEqual([valid]);
    const warnings = logger.entries.filter((entry) => entry.message === 'image events: ignored a malformed message');
    expect(warnings.map((entry) => entry.fields.message)).toEqual(malformed);
  });

  it('subscribes lazily: a subscribe() without ready() receives once the subscription is active', async () => {
    const channel = newChannel();
    const events = open(channel);
    const recorder = new Recorder();
    events.subscribe(recorder.listener);
    await events.ready(); // the subscription subscribe() started
    const event = created();
    await events.publish(event);
    await recorder.until(event);
    expect(recorder.received).toEqual([event]);
  });

  it('closes cleanly when it never connected, and rejects ready() after close', async () => {
    const events = new RedisImageEvents({ url: TEST_REDIS_URL, channel: newChannel() });
    await events.close();
    await expect(events.ready()).rejects.toThrow(/closed/);
  });
});
