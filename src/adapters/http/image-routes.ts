import multer from '@koa/multer';
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { DeleteImage } from '../../application/delete-image.js';
import type { GetImage } from '../../application/get-image.js';
import type { GetOriginal } from '../../application/get-original.js';
import type { GetThumbnail } from '../../application/get-thumbnail.js';
import type { ListImages } from '../../application/list-images.js';
import type { IdempotentUpload } from '../../application/idempotent-upload.js';
import { TooManyAttemptsError } from '../../domain/too-many-attempts-error.js';
import { clientIdentity } from './client-address.js';
import { HttpRequestError } from './http-errors.js';
import { closeAfterAnswer, watchBodySize } from './body-limit.js';
import { sendFile } from './file-response.js';
import { asciiFallback, servedFilename } from './served-filename.js';
import { hashingMemoryStorage, type ReceivedFile } from './hashing-memory-storage.js';
import { imageJson, renditionVersion } from './image-json.js';
import { optionalInteger } from './query-parameters.js';
import { IMMUTABLE, REVALIDATE } from './static-asset.js';

export interface ImageUseCases {
  readonly upload: IdempotentUpload;
  readonly getImage: GetImage;
  readonly getOriginal: GetOriginal;
  readonly getThumbnail: GetThumbnail;
  readonly deleteImage: DeleteImage;
  readonly listImages: ListImages;
}

/** Room for the multipart envelope around the file (boundaries, part headers, a few small fields). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;


export function imageRoutes(useCases: ImageUseCases, maxUploadBytes: number): Router {
  const options = {
    storage: hashingMemoryStorage,
    // Browsers and fetch send UTF-8 filenames without declaring a charset (multer 2 option, not in its types yet).
    defParamCharset: 'utf8',
    // fieldNameSize: busboy itself never limits names (multer checks only when it is set).
    limits: { fileSize: maxUploadBytes, files: 1, fields: 8, fieldSize: 8 * 1024, fieldNameSize: 100, parts: 10 },
  };
  const multipart = multer(options).single('file');
  // Refused by Content-Length when it says so, else while the body streams; either way by one rule.
  const maxBodyBytes = maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
  const tooLarge = () => new HttpRequestError('FILE_TOO_LARGE', `The upload is larger than the ${maxUploadBytes}-byte limit`);
  // Failures of the parse itself are the request's fault; classifying them here, and not by their
  // message in errorMiddleware, keeps an internal error from ever passing for a malformed body.
  const parseUpload: Middleware = async (ctx, next) => {
    // A body past the limit (with no Content-Length to refuse it by) is answered while it still streams.
    const size = watchBodySize(ctx, maxBodyBytes, tooLarge);
    const parsing = Promise.resolve(multipart(ctx, () => Promise.resolve()) as unknown);
    try {
      await Promise.race([parsing, size.exceeded]);
    } catch (error) {
      parsing.catch(() => undefined); // multer goes on draining the refused body; its own error is moot
      if (error instanceof HttpRequestError) throw error;
      if ((error as { name?: unknown }).name === 'MulterError') throw error; // limits: mapped by their own codes
      throw new HttpRequestError('MALFORMED_MULTIPART', 'The multipart body is malformed');
    } finally {
      size.stop();
    }
    await next();
  };
  const router = new Router({ prefix: '/api/v1/images' });

  router.post(
    '/upload',
    async (ctx, next) => {
      const declared = Number(ctx.get('Content-Length'));
      if (declared > maxBodyBytes) {
        closeAfterAnswer(ctx);
        throw tooLarge();
      }
      if (!ctx.is('multipart/form-data')) {
        throw new HttpRequestError('FILE_REQUIRED', 'Send the image as multipart/form-data in the field "file"');
      }
      await next();
    },
    parseUpload,
    async (ctx) => {
      const file = ctx.request.file as unknown as ReceivedFile | undefined;
      if (!file) throw new HttpRequestError('FILE_REQUIRED', 'Send the image in the multipart field "file"');
      const request = { bytes: file.buffer, filename: file.originalname, checksum: file.sha256 };
      const { image, deleteToken, replayed } = await useCases.upload.execute(request, ctx.get('Idempotency-Key') || undefined);
      if (replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.status = 201;
      ctx.set('Location', `/api/v1/images/${image.id}`);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { ...imageJson(image), delete_token: deleteToken };
    },
  );

  router.get('/', async (ctx) => {
    const limit = optionalInteger(ctx.query.limit, 'limit');
    const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor : null;
    const page = await useCases.listImages.execute({ ...(limit === undefined ? {} : { limit }), cursor });
    ctx.body = { items: page.items.map(imageJson), next_cursor: page.nextCursor };
  });

  router.get('/:id', async (ctx) => {
    ctx.body = imageJson(await useCases.getImage.execute(ctx.params.id ?? ''));
  });

  router.get('/:id/file', async (ctx) => {
    const file = await useCases.getOriginal.execute(ctx.params.id ?? '');
    const name = servedFilename(file.image.props.filename, file.image.props.format);
    ctx.attachment(name, { type: 'inline', fallback: asciiFallback(name) });
    // The bytes behind an image id never change: cache for good.
    await sendFile(ctx, file, IMMUTABLE);
  });

  router.get('/:id/thumbnail', async (ctx) => {
    const size = optionalInteger(ctx.query.size, 'size');
    const file = await useCases.getThumbnail.execute(ctx.params.id ?? '', size);
    // A URL naming the rendition's content (?v=, as the metadata gives it) never changes meaning;
    // a plain one may point at a regenerated rendition later, so it is revalidated (cheaply: ETag).
    const versioned = ctx.query.v === renditionVersion(file.sha256);
    await sendFile(ctx, file, versioned ? IMMUTABLE : REVALIDATE);
  });

  router.delete('/:id', async (ctx) => {
    // ctx.ip is the socket's peer, or the first X-Forwarded-For entry only when app.proxy is set.
    const client = clientIdentity(ctx.ip);
    try {
      await useCases.deleteImage.execute(ctx.params.id ?? '', ctx.get('X-Delete-Token') || undefined, client);
    } catch (error) {
      if (error instanceof TooManyAttemptsError) ctx.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
      throw error;
    }
    ctx.status = 204;
  });

  return router;
}

