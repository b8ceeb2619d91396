import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { rawSharpRender, type RawOptions } from './raw-sharp.js';

/**
 * One lane of the one-core-each ceiling (see `pinnedCeiling` in raw-sharp.ts), run in a process of its
 * own on one core: reads the images named on the command line, prints "ready", waits for "go" on
 * stdin, renders each image once with raw sharp, and prints {"renditions", "seconds"} as JSON.
 */
const [optionsJson, ...files] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? '{}') as RawOptions;
const images = await Promise.all(files.map(async (file) => new Uint8Array(await readFile(file))));
await rawSharpRender(images[0]!, options); // warm-up: libvips start-up and the first JIT
console.log('ready');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line === 'go') break;
const started = performance.now();
let renditions = 0;
for (const image of images) renditions += await rawSharpRender(image, options);
console.log(JSON.stringify({ renditions, seconds: (performance.now() - started) / 1000 }));
lines.close();
