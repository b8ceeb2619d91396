/** Bytes that are no image, for the contract suites (a real resizer must refuse them). */
export function svg(): Uint8Array {
  return text('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48"><rect width="64" height="48" fill="red"/></svg>');
}

export function text(content: string): Uint8Array {
  return new TextEncoder().encode(content);
}
