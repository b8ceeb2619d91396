/* global localStorage */
// Delete tokens, kept by this browser only: `[{id, delete_token}]` in localStorage.
const TOKENS_KEY = 'imagehost.deleteTokens';

function readTokens() {
  try {
    const stored = JSON.parse(localStorage.getItem(TOKENS_KEY) ?? '[]');
    return Array.isArray(stored) ? stored.filter((t) => t && typeof t.id === 'string' && typeof t.delete_token === 'string') : [];
  } catch {
    return [];
  }
}

/** False when the browser refused to store (storage disabled or full). */
function writeTokens(tokens) {
  try {
    localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
    return true;
  } catch {
    return false;
  }
}

export const tokenFor = (id) => readTokens().find((t) => t.id === id)?.delete_token ?? null;
export const keepToken = (id, token) => writeTokens([...readTokens().filter((t) => t.id !== id), { id, delete_token: token }]);
export const forgetToken = (id) => writeTokens(readTokens().filter((t) => t.id !== id));
