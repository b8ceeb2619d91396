import type { Image } from '../../domain/image.js';

const API = '/api/v1/images';

/** The part of a rendition's checksum that versions its URL. */
export function renditionVersion(sha256: string): string {
  return sha256.slice(0, 16);
}

/** The public JSON shape of an image (snake_case). Never includes the delete token hash. */
export function imageJson(image: Image): Record<string, unknown> {
  const p = image.props;
  const t = p.thumbnail;
  return {
    id: p.id,
    filename: p.filename,
    content_type: p.contentType,
    size_bytes: p.sizeBytes,
    checksum_sha256: p.checksum,
    width: p.width,
    height: p.height,
    url: `${API}/${p.id}/file`,
    thumbnail_ready: image.thumbnailReady,
    thumbnail_status: t.status,
    thumbnail_url: `${API}/${p.id}/thumbnail`,
    thumbnail_attempts: t.attempts,
    thumbnail_error: t.lastError,
    thumbnail_next_retry_at: t.nextRetryAt?.toISOString() ?? null,
    placeholder: t.placeholder,
    renditions: t.renditions.map((r) => ({
      size: r.size,
      width: r.width,
      height: r.height,
      bytes: r.bytes,
      content_type: r.contentType,
      url: `${API}/${p.id}/thumbnail?size=${r.size}&v=${renditionVersion(r.sha256)}`,
    })),
    created_at: p.createdAt.toISOString(),
  };
}
