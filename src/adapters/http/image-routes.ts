import multer from '@koa/multer';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { DeleteImage } from '../../application/delete-image.js';
import type { ImageFile } from '../../application/get-original.js';
import type { GetImage } from '../../application/get-image.js';
import type { GetOriginal } from '../../application/get-original.js';
import type { GetThumbnail } from '../../application/get-thumbnail.js';
import type { ListImages } from '../../application/list-images.js';
import type { UploadImage } from '../../application/upload-image.js';
import { HttpRequestError } from './http-errors.js';
import { imageJson } from './image-json.js';
import { optionalInteger } from './query-parameters.js';

export interface ImageUseCases {
  readonly upload: UploadImage;
  readonly getImage: GetImage;
  readonly getOriginal: GetOriginal;
  readonly getThumbnail: GetThumbnail;
  readonly deleteImage: DeleteImage;
  readonly listImages: ListImages;
}

/** Room for the multipart envelope around the file (boundaries, part headers, a few small fields). */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** Files are served as data, never as something a browser may run or re-interpret. */
const FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

export function imageRoutes(useCases: ImageUseCases, maxUploadBytes: number): Router {
  const options = {
    storage: multer.memoryStorage(),
    // Browsers and fetch send UTF-8 filenames without declaring a charset (multer 2 option, not in its types yet).
    defParamCharset: 'utf8',
    limits: { fileSize: maxUploadBytes, files: 1, fields: 8, fieldSize: 8 * 1024, parts: 10 },
  };
  const parseUpload = multer(options).single('file');
  const router = new Router({ prefix: '/api/v1/images' });

  router.post(
    '/upload',
    async (ctx, next) => {
      const declared = Number(ctx.get('Content-Length'));
      if (declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
        ctx.set('Connection', 'close');
        throw new HttpRequestError('FILE_TOO_LARGE', `The upload is larger than the ${maxUploadBytes}-byte limit`);
      }
      if (!ctx.is('multipart/form-data')) {
        throw new HttpRequestError('FILE_REQUIRED', 'Send the image as multipart/form-data in the field "file"');
      }
      await next();
    },
    parseUpload,
    async (ctx) => {
      const file = ctx.request.file as { buffer: Buffer; originalname: string } | undefined;
      if (!file) throw new HttpRequestError('FILE_REQUIRED', 'Send the image in the multipart field "file"');
      const { image, deleteToken } = await useCases.upload.execute({ bytes: file.buffer, filename: file.originalname });
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
    const found = await useCases.getOriginal.execute(ctx.params.id ?? '');
    sendFile(ctx, found, 'public, max-age=31536000, immutable');
    ctx.attachment(found.image.props.filename, { type: 'inline' });
    ctx.type = found.file.contentType;
  });

  router.get('/:id/thumbnail', async (ctx) => {
    const size = optionalInteger(ctx.query.size, 'size');
    sendFile(ctx, await useCases.getThumbnail.execute(ctx.params.id ?? '', size), 'public, max-age=86400');
  });

  router.delete('/:id', async (ctx) => {
    await useCases.deleteImage.execute(ctx.params.id ?? '', ctx.get('X-Delete-Token') || undefined);
    ctx.status = 204;
  });

  return router;
}

function sendFile(ctx: Context, { file }: ImageFile, cacheControl: string): void {
  ctx.set(FILE_HEADERS);
  ctx.set('Cache-Control', cacheControl);
  ctx.type = file.contentType;
  ctx.length = file.size;
  ctx.body = file.body;
}
