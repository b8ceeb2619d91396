/* global document, window, XMLHttpRequest, FormData */
// Uploads: the drop zone (the whole window takes drops) and the file input, one at a time with
// XMLHttpRequest, which (unlike fetch) reports upload progress; a <progress> row per file.
import { API, apiError } from './api.js';
import { say, sayError } from './status.js';
import { keepToken } from './tokens.js';

const zone = document.getElementById('drop-zone');
const input = document.getElementById('file-input');
const rows = document.getElementById('uploads');
const rowTemplate = document.getElementById('upload-template');

let queue = Promise.resolve();

/** Wires the drop zone and the file input; `onUploaded(image)` gets each 201's metadata (token removed, kept). */
export function setUpUploads(onUploaded) {
  const uploadFiles = (files) => {
    for (const file of files) {
      const row = uploadRow(file);
      queue = queue.then(() => upload(file, row, onUploaded));
    }
  };
  input.addEventListener('change', () => {
    uploadFiles([...input.files]);
    input.value = ''; // choosing the same file again is a new upload
  });
  // Drops anywhere count, so a near miss never navigates away to the dropped file.
  const carriesFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('drop-zone-active');
  });
  window.addEventListener('dragleave', (event) => {
    if (!event.relatedTarget) zone.classList.remove('drop-zone-active');
  });
  window.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    zone.classList.remove('drop-zone-active');
    uploadFiles([...event.dataTransfer.files]);
  });
}

function uploadRow(file) {
  const li = rowTemplate.content.firstElementChild.cloneNode(true);
  const row = { li, progress: li.querySelector('progress'), state: li.querySelector('.upload-state') };
  li.querySelector('.upload-name').textContent = file.name;
  row.progress.max = file.size || 1;
  row.progress.setAttribute('aria-label', `Upload progress of ${file.name}`);
  rows.prepend(li);
  return row;
}

function upload(file, row, onUploaded) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${API}/images/upload`);
    xhr.responseType = 'json';
    row.li.dataset.state = 'uploading';
    row.state.textContent = 'uploading…';
    xhr.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable) return;
      row.progress.max = event.total;
      row.progress.value = event.loaded;
      row.state.textContent = event.loaded < event.total ? `${Math.round((100 * event.loaded) / event.total)} %` : 'processing…';
    });
    const fail = (error) => {
      row.li.dataset.state = 'error';
      row.state.textContent = `${error.code}: ${error.message}`;
      sayError(error);
      resolve();
    };
    xhr.addEventListener('load', () => {
      if (xhr.status !== 201) return fail(apiError(xhr.status, xhr.response));
      const { delete_token: token, ...image } = xhr.response;
      row.progress.value = row.progress.max;
      row.li.dataset.state = 'done';
      row.state.textContent = 'uploaded';
      if (keepToken(image.id, token)) say(`Uploaded ${image.filename}`);
      else say(`Uploaded ${image.filename}, but this browser would not keep its delete token: it cannot be deleted from here`, 'error');
      onUploaded(image);
      resolve();
    });
    xhr.addEventListener('error', () => fail(apiError(0, null)));
    xhr.addEventListener('abort', () => fail(apiError(0, null)));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
