/* global document */
// The status line: what happened last, errors from the API included.
import { ApiError } from './api.js';

const line = document.getElementById('status');

export function say(text, kind = 'info') {
  line.textContent = text;
  line.dataset.kind = kind;
}

export function sayError(error) {
  say(error instanceof ApiError ? `${error.code}: ${error.message}` : `Error: ${error.message}`, 'error');
}

/** The kind of the message now shown (`info`, `error`, `offline`), or `''`. */
export const shownKind = () => line.dataset.kind ?? '';
