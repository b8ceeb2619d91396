import type { Image } from '../../domain/image.js';

const API = '/api/v1/images';

/** The public JSON shape of an image (snake_case). Never includes the delete token hash. */
export function imageJson(image: Image): Record<string, unknown> {
  const p = image.props;
  const t = p.thumbnail;
  return {
    id: p.id,
    filename: p.filename,
    content_type: p.contentType,
    size_bytes: p.sizeBytes,
    width: p.width,
    height: p.height,
    url: `${API}/${p.id}/file`,
    thumbnail_ready: image.thumbnailReady,
    thumbnail_status: t.status,
    thumbnail_url: `${API}/${p.id}/thumbnail`,
    thumbnail_attempts: t.attempts,
    thumbnail_error: t.lastError,
    thumbnail_next_retry_at: t.nextRetryAt?.toISOString() ?? null,
    renditions: t.renditions.map((r) => ({
      size: r.size,
      width: r.width,
      height: r.height,
      bytes: r.bytes,
      content_type: r.contentType,
      url: `${API}/${p.id}/thumbnail?size=${r.size}`,
    })),
    created_at: p.createdAt.toISOString(),
  };
}
