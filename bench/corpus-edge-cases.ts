import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { CorpusEntry } from './corpus.js';

/**
 * Edge cases made from a real photograph (so their pixels are real too): a huge 48-megapixel JPEG, a
 * 16×16 PNG, a PNG with an alpha channel (to be flattened on white) and a JPEG whose EXIF orientation
 * says "rotate 90°" (stored landscape, displayed portrait).
 */
export async function makeEdgeCases(photo: Buffer, dir: string): Promise<CorpusEntry[]> {
  const made: CorpusEntry[] = [];
  const save = async (name: string, data: Buffer, format: string, width: number, height: number): Promise<void> => {
    await writeFile(path.join(dir, name), data);
    made.push({ name, kind: 'edge', source: 'generated from the first photograph', format, width, height, bytes: data.byteLength });
  };

  await save('edge-huge-8000x6000.jpg', await sharp(photo).resize(8000, 6000, { fit: 'cover' }).jpeg({ quality: 85 }).toBuffer(), 'jpeg', 8000, 6000);
  await save('edge-tiny-16x16.png', await sharp(photo).resize(16, 16, { fit: 'cover' }).png().toBuffer(), 'png', 16, 16);

  const [width, height] = [1600, 1000];
  const mask = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Opaque centre fading to transparent corners: every alpha value from 0 to 255 occurs.
      const d = Math.hypot((x - width / 2) / (width / 2), (y - height / 2) / (height / 2));
      mask[y * width + x] = Math.max(0, Math.min(255, Math.round(255 * (1.35 - d))));
    }
  }
  const rgb = await sharp(photo).resize(width, height, { fit: 'cover' }).removeAlpha().toBuffer();
  const alpha = await sharp(rgb).joinChannel(mask, { raw: { width, height, channels: 1 } }).png().toBuffer();
  await save('edge-alpha-1600x1000.png', alpha, 'png', width, height);

  const rotated = await sharp(photo).resize(width, height, { fit: 'cover' }).jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
  await save('edge-exif-rotated-1600x1000.jpg', rotated, 'jpeg', height, width);
  return made;
}
