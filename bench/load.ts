import type { CorpusImage } from './corpus.js';
import { connectionPool, upload } from './service.js';
import { now, pool } from './stats.js';
import { uniqueBytes } from './unique-bytes.js';

export interface UploadSample {
  readonly status: number;
  readonly latencyMs: number;
  /** Wall-clock time the answer's last byte arrived (ms since the epoch). */
  readonly doneAt: number;
  readonly id: string | null;
  /** The start of the answer (or the client error) when it was not 201. */
  readonly error?: string;
}

export interface LoadResult {
  readonly samples: UploadSample[];
  readonly seconds: number;
  readonly errors: number;
}

/**
 * A closed-loop load: `clients` concurrent clients, each sending its next upload as soon as the
 * previous one is answered, `count` uploads in all (the corpus in order, over and over, each with
 * bytes of its own), stopping early at `maxSeconds`. Only 127.0.0.1 is ever targeted.
 */
export async function uploadLoad(baseUrl: string, corpus: readonly CorpusImage[], count: number, clients: number, maxSeconds: number): Promise<LoadResult> {
  const items = Array.from({ length: count }, (_, i) => corpus[i % corpus.length]!);
  const agent = connectionPool(clients);
  const started = now();
  const samples = await pool(
    items,
    clients,
    async (image): Promise<UploadSample> => {
      const answer = await upload(baseUrl, uniqueBytes(image.data), image.name, agent).catch((error: unknown) => ({
        status: 0,
        body: String(error),
        latencyMs: Number.NaN,
        doneAt: Date.now(),
      }));
      if (answer.status !== 201) return { status: answer.status, latencyMs: answer.latencyMs, doneAt: answer.doneAt, id: null, error: answer.body.slice(0, 300) };
      const id = (JSON.parse(answer.body) as { id: string }).id;
      return { status: answer.status, latencyMs: answer.latencyMs, doneAt: answer.doneAt, id };
    },
    started + maxSeconds * 1000,
  );
  const seconds = (now() - started) / 1000;
  agent.destroy();
  return { samples, seconds, errors: samples.filter((s) => s.status !== 201).length };
}
