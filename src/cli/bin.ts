#!/usr/bin/env node
// The `imagehost` executable of the npm package. Help and usage errors are answered before the
// service's modules (drivers and all) are loaded. main is then called unconditionally: through
// npm's bin link process.argv[1] names the link, so main.ts's "am I the entry point?" check fails.
import { parseInvocation } from './dispatch.js';

const argv = process.argv.slice(2);
const invocation = parseInvocation(argv);
if (invocation.kind === 'exit') process.exit(invocation.code);
const { main } = await import('../main.js');
await main(argv);
