import { createPinoLogger } from '../src/adapters/pino/pino-logger.js';
import { loadConfig } from '../src/config.js';
import { createImagehost } from '../src/imagehost.js';
import { ImageRepository } from '../src/ports/image-repository.js';
import type { UploadSample } from './load.js';

export interface ReadyTimes {
  /** Per ready image: its row's ready time minus the moment its upload's answer arrived, ms. */
  readonly readyMs: number[];
  /** Wall-clock ready time by image id (ms since the epoch). */
  readonly readyAt: Map<string, number>;
  readonly notReady: number;
}

/**
 * Reads, once the service has stopped, when each uploaded image turned ready: a ready row's
 * `updatedAt` is the moment GenerateThumbnails completed it (nothing writes the row after that).
 * Both clocks are this machine's, so they compare. Goes through the project's own repository on the
 * service's data folder, so it follows the schema wherever it moves.
 */
export async function readyTimes(dataDir: string, samples: readonly UploadSample[], sizes: string): Promise<ReadyTimes> {
  const config = loadConfig({ DATA_DIR: dataDir, THUMBNAIL_SIZES: sizes, LOG_LEVEL: 'silent' });
  const host = await createImagehost(config, createPinoLogger('silent'));
  try {
    const repository = host.container.get<ImageRepository>(ImageRepository);
    const readyMs: number[] = [];
    const readyAt = new Map<string, number>();
    let notReady = 0;
    for (const sample of samples) {
      if (!sample.id) continue;
      const image = await repository.findById(sample.id);
      if (image?.thumbnail.status !== 'ready') {
        notReady++;
        continue;
      }
      const at = image.props.updatedAt.getTime();
      readyAt.set(sample.id, at);
      readyMs.push(at - sample.doneAt);
    }
    return { readyMs, readyAt, notReady };
  } finally {
    await host.close();
  }
}
