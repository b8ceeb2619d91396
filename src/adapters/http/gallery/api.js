/* global fetch */
// The imagehost API as the gallery calls it: every error body is {"error":{"code","message"}}.
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** `{error:{code,message}}` from a response body, or a generic one naming the HTTP status. */
export function apiError(status, body) {
  const error = body && typeof body === 'object' ? body.error : null;
  if (error && typeof error.code === 'string') return new ApiError(error.code, String(error.message ?? ''));
  return new ApiError(`HTTP_${status}`, status === 0 ? 'the server could not be reached' : 'the request failed');
}

export async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw apiError(response.status, body);
  return body;
}
