/* global document, EventSource, Image, URLSearchParams, atob, confirm, fetch, location, setTimeout */
// The imagehost gallery: plain ES modules, no build step. gallery-routes.ts serves them and
// versions every relative import (?v=<content hash>), so they are cached for good.
import { thumbHashToDataURL } from './vendor/thumbhash.js';
import { API, ApiError, apiError, getJson } from './api.js';
import { say, sayError, shownKind } from './status.js';
import { forgetToken, tokenFor } from './tokens.js';
import { setUpUploads } from './uploads.js';

const TILE_SIZE = 300; // the rendition the grid shows
const PAGE_SIZE = 24;
const RECONNECT_MS = 5000;

const $ = (id) => document.getElementById(id);
const ui = {
  grid: $('grid'),
  empty: $('empty'),
  more: $('load-more'),
  lightbox: $('lightbox'),
  lightboxImage: $('lightbox-image'),
  lightboxCaption: $('lightbox-caption'),
  lightboxLink: $('lightbox-link'),
  tileTemplate: $('tile-template'),
};

/** id → { li, img, open, badge, name, remove, image, seq, want } */
const tiles = new Map();
let nextCursor = null;
let firstPage = null; // the first page's load, started once the event stream is open (or has failed)
let live = false; // the first page is in: events apply from now on
let heldEvents = []; // events that arrived while the first page was loading
const missed = new Set(); // ids whose thumbnail changed before their tile existed: refetched when it appears

// ---- tiles -------------------------------------------------------------------------------------

function placeholderUrl(base64) {
  if (!base64) return null;
  try {
    return thumbHashToDataURL(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The 300 rendition, else the smallest larger one, else the largest there is. */
function tileRendition(image) {
  const sorted = [...(image.renditions ?? [])].sort((a, b) => a.size - b.size);
  return sorted.find((r) => r.size >= TILE_SIZE) ?? sorted.at(-1) ?? null;
}

const BADGES = { pending: 'waiting for thumbnail', processing: 'making thumbnail…' };

function createTile(image) {
  const li = ui.tileTemplate.content.firstElementChild.cloneNode(true);
  li.dataset.id = image.id;
  const part = (selector) => li.querySelector(selector);
  const tile = { li, img: part('.tile-image'), open: part('.tile-open'), badge: part('.badge'), name: part('.tile-name'), remove: part('.tile-delete'), image, seq: 0, want: null };
  tile.open.addEventListener('click', () => openLightbox(tile.image));
  tile.remove.addEventListener('click', () => deleteImage(image.id));
  tiles.set(image.id, tile);
  renderTile(tile);
  return tile;
}

function showImage(tile, src, kind) {
  tile.img.src = src;
  tile.img.dataset.kind = kind;
  tile.img.hidden = false;
}

function renderTile(tile) {
  const { image } = tile;
  const label = image.filename || image.id;
  tile.li.dataset.status = image.thumbnail_status;
  tile.img.alt = label;
  tile.open.setAttribute('aria-label', `Open the original of ${label}`);
  tile.name.textContent = label;
  tile.remove.setAttribute('aria-label', `Delete ${label}`);
  tile.remove.hidden = !tokenFor(image.id);

  const failed = image.thumbnail_status === 'failed';
  tile.badge.textContent = failed ? `thumbnail failed: ${image.thumbnail_error ?? 'UNKNOWN'}` : (BADGES[image.thumbnail_status] ?? '');
  tile.badge.hidden = !tile.badge.textContent;
  tile.badge.classList.toggle('badge-error', failed);

  const rendition = image.thumbnail_status === 'ready' ? tileRendition(image) : null;
  const thumbnail = rendition?.url ?? (image.thumbnail_status === 'ready' ? image.thumbnail_url : null);
  if (!thumbnail || tile.want === thumbnail) return;
  // Paint the placeholder at once, and swap in the thumbnail only once its bytes are decoded.
  const placeholder = placeholderUrl(image.placeholder);
  if (placeholder && tile.img.dataset.kind !== 'thumbnail') showImage(tile, placeholder, 'placeholder');
  tile.want = thumbnail;
  const loader = new Image();
  loader.src = thumbnail;
  loader
    .decode()
    .catch(() => undefined) // an undecodable thumbnail still gets its <img>, which shows the browser's broken-image state
    .then(() => {
      if (tile.want === thumbnail && tiles.get(image.id) === tile) showImage(tile, thumbnail, 'thumbnail');
    });
}

/**
 * Adds the tile of an image, first (`'start'`) or last (`'end'`). A tile already there is left alone:
 * it is kept current by events, and the metadata in hand may be older than what it shows.
 */
function putTile(image, where) {
  if (tiles.has(image.id)) return;
  const tile = createTile(image);
  if (where === 'start') ui.grid.prepend(tile.li);
  else ui.grid.append(tile.li);
  ui.empty.hidden = true;
  if (missed.delete(image.id)) void refresh(image.id);
}

function removeTile(id) {
  const tile = tiles.get(id);
  if (!tile) return;
  tiles.delete(id);
  tile.li.remove();
  ui.empty.hidden = tiles.size > 0;
}

/** Refetches one image's metadata; a newer event for the same tile wins over a slower answer. */
async function refresh(id) {
  const tile = tiles.get(id);
  if (!tile) return;
  const seq = ++tile.seq;
  try {
    const image = await getJson(`${API}/images/${encodeURIComponent(id)}`);
    if (tile.seq !== seq || tiles.get(id) !== tile) return;
    tile.image = image;
    renderTile(tile);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'IMAGE_NOT_FOUND') removeTile(id);
    else sayError(error);
  }
}

// ---- listing -----------------------------------------------------------------------------------

async function loadPage(cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);
  const page = await getJson(`${API}/images?${query}`);
  for (const image of page.items) putTile(image, 'end');
  if (!cursor || nextCursor === cursor) nextCursor = page.next_cursor;
  ui.more.hidden = !nextCursor;
  ui.empty.hidden = tiles.size > 0;
}

function loadFirstPage() {
  firstPage ??= loadPage(null)
    .catch(sayError)
    .then(() => {
      live = true;
      for (const event of heldEvents) applyEvent(event);
      heldEvents = [];
    });
  return firstPage;
}

ui.more.addEventListener('click', async () => {
  ui.more.disabled = true;
  try {
    await loadPage(nextCursor);
  } catch (error) {
    sayError(error);
  } finally {
    ui.more.disabled = false;
  }
});

// ---- live events -------------------------------------------------------------------------------

async function addCreated(id) {
  if (tiles.has(id)) return;
  try {
    const image = await getJson(`${API}/images/${encodeURIComponent(id)}`);
    putTile(image, 'start');
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'IMAGE_NOT_FOUND')) sayError(error);
  }
}

function applyEvent(event) {
  const id = event.image_id;
  if (event.type === 'image.created') void addCreated(id);
  else if (event.type === 'image.deleted') removeTile(id);
  else if (event.type === 'thumbnails.updated') {
    const tile = tiles.get(id);
    if (!tile) {
      if (missed.size > 500) missed.clear(); // only ids about to get a tile matter; never let it grow
      missed.add(id);
      return;
    }
    if (event.status === 'ready' || event.status === 'failed') {
      void refresh(id);
    } else {
      tile.seq++;
      tile.image = { ...tile.image, thumbnail_status: event.status };
      renderTile(tile);
    }
  }
}

/** After a reconnect: events may have been missed, so bring unsettled tiles and the first page up to date. */
async function resync() {
  for (const [id, tile] of tiles) if (tile.image.thumbnail_status !== 'ready') void refresh(id);
  try {
    const page = await getJson(`${API}/images?limit=${PAGE_SIZE}`);
    for (const image of [...page.items].reverse()) if (!tiles.has(image.id)) putTile(image, 'start');
  } catch (error) {
    sayError(error);
  }
}

function connect() {
  // Opened before the first page is fetched, so no change between the two is missed.
  const source = new EventSource(`${API}/events`);
  source.addEventListener('open', () => {
    if (firstPage) void firstPage.then(resync); // a reconnect: events may have been missed meanwhile
    else void loadFirstPage();
    if (shownKind() === 'offline') say('');
  });
  source.addEventListener('error', () => {
    say('Live updates interrupted: reconnecting…', 'offline');
    void loadFirstPage(); // without live updates, the page still lists what there is
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
  });
  for (const type of ['image.created', 'image.deleted', 'thumbnails.updated']) {
    source.addEventListener(type, (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (live) applyEvent(event);
      else heldEvents.push(event);
    });
  }
}

// ---- delete and lightbox -----------------------------------------------------------------------

async function deleteImage(id) {
  const tile = tiles.get(id);
  const token = tokenFor(id);
  if (!tile || !token || !confirm(`Delete ${tile.image.filename}? This cannot be undone.`)) return;
  tile.remove.disabled = true;
  try {
    const response = await fetch(`${API}/images/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { 'X-Delete-Token': token } });
    if (response.status === 204 || response.status === 404) {
      forgetToken(id);
      removeTile(id);
      say(`Deleted ${tile.image.filename}`);
      return;
    }
    const error = apiError(response.status, await response.json().catch(() => null));
    if (error.code === 'INVALID_DELETE_TOKEN') {
      forgetToken(id);
      renderTile(tile);
    }
    sayError(error);
  } catch (error) {
    sayError(error);
  } finally {
    tile.remove.disabled = false;
  }
}

function openLightbox(image) {
  ui.lightboxImage.src = image.url;
  ui.lightboxImage.alt = image.filename;
  ui.lightboxCaption.textContent = `${image.filename} — ${image.width} × ${image.height}, ${formatBytes(image.size_bytes)}`;
  ui.lightboxLink.href = image.url;
  ui.lightbox.showModal();
}

ui.lightbox.addEventListener('click', (event) => {
  if (event.target === ui.lightbox) ui.lightbox.close(); // a click on the backdrop
});
ui.lightbox.addEventListener('close', () => ui.lightboxImage.removeAttribute('src'));

function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

if (location.protocol === 'file:') say('Open this page from the imagehost service, not from disk.', 'error');
setUpUploads((image) => {
  const tile = tiles.get(image.id);
  if (tile) renderTile(tile); // shown already (the event came first): now with its delete button
  else putTile(image, 'start');
});
connect();
