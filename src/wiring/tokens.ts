/** Container tokens for plain settings objects; ports and use cases are bound by their own symbols and classes. */
export const UploadLimitsToken = Symbol.for('imagehost.UploadLimits');
export const ThumbnailSettingsToken = Symbol.for('imagehost.ThumbnailSettings');
