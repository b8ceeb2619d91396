/** The first string `code` on an error or its causes (a PermanentTaskError usually wraps a DomainError). */
export function errorCodeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Object && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}
