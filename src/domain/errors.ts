/**
 * Failures a caller must branch on. Each has a stable `code`; none knows about HTTP.
 * Absence is `null` at the port level; these are raised by use cases and adapters at their boundary.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ImageNotFoundError extends DomainError {
  readonly code = 'IMAGE_NOT_FOUND';
  constructor(readonly imageId: string) {
    super(`No image with id "${imageId}"`);
  }
}

export class EmptyFileError extends DomainError {
  readonly code = 'EMPTY_FILE';
  constructor() {
    super('The uploaded file is empty');
  }
}

export class FileTooLargeError extends DomainError {
  readonly code = 'FILE_TOO_LARGE';
  constructor(readonly maxBytes: number) {
    super(`The file is larger than the ${maxBytes}-byte limit`);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  constructor(readonly detected: string | null) {
    super(
      detected
        ? `Files of type ${detected} are not accepted; send JPEG, PNG, WebP, GIF, AVIF or TIFF`
        : 'The file is not a recognised image; send JPEG, PNG, WebP, GIF, AVIF or TIFF',
    );
  }
}

/** The bytes claim an accepted format but cannot be read (truncated header, corrupt data). */
export class InvalidImageError extends DomainError {
  readonly code = 'INVALID_IMAGE';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`The image cannot be read: ${detail}`, options);
  }
}

export class ImageTooLargeError extends DomainError {
  readonly code = 'IMAGE_TOO_LARGE';
  constructor(
    readonly pixels: number,
    readonly maxPixels: number,
  ) {
    super(`The image has ${pixels} pixels; the limit is ${maxPixels}`);
  }
}

export class InvalidDeleteTokenError extends DomainError {
  readonly code = 'INVALID_DELETE_TOKEN';
  constructor() {
    super('The delete token is missing or does not match this image');
  }
}

export class ThumbnailNotReadyError extends DomainError {
  readonly code = 'THUMBNAIL_NOT_READY';
  constructor(
    readonly imageId: string,
    readonly status: string,
  ) {
    super(`The thumbnail of image "${imageId}" is not ready (status: ${status})`);
  }
}

export class InvalidParameterError extends DomainError {
  readonly code = 'INVALID_PARAMETER';
  constructor(
    readonly parameter: string,
    detail: string,
  ) {
    super(`Invalid ${parameter}: ${detail}`);
  }
}

/** `ImageRepository.add` was given an id that is already stored (a conflict, never retried by the caller). */
export class DuplicateImageError extends DomainError {
  readonly code = 'IMAGE_ALREADY_EXISTS';

  constructor(
    readonly imageId: string,
    options?: { cause?: unknown },
  ) {
    super(`An image with id "${imageId}" already exists`, options);
  }
}

/** Another request with the same Idempotency-Key is still running. */
export class IdempotencyKeyInUseError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_IN_USE';
  constructor() {
    super('A request with this Idempotency-Key is still in progress; retry it shortly');
  }
}

/** The Idempotency-Key was first used for a different file. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('This Idempotency-Key was already used for a different file; use a new key for a new upload');
  }
}

/**
 * The object store did not answer, or refused the operation (connection refused, timed out, a 5xx, a
 * full or failing disk). Nothing about the request is wrong: the same call may succeed later.
 */
export class StorageUnavailableError extends DomainError {
  readonly code = 'STORAGE_UNAVAILABLE';
}

/** The database did not answer (connection refused or lost, pool exhausted, locked): worth another try later. */
export class DatabaseUnavailableError extends DomainError {
  readonly code = 'DATABASE_UNAVAILABLE';
}

/** The shared counter of wrong delete tokens did not answer: deletes are refused (fail closed) until it does. */
export class LimiterUnavailableError extends DomainError {
  readonly code = 'LIMITER_UNAVAILABLE';
}

/** The job queue did not answer. */
export class QueueUnavailableError extends DomainError {
  readonly code = 'QUEUE_UNAVAILABLE';
}
