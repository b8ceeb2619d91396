import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chartSvg } from './chart.js';
import { buildRows, targetText, type Results, type Row } from './rows.js';
import { fmt } from './stats.js';

export interface RunInfo {
  readonly startedAt: string;
  readonly mode: 'full' | 'quick';
  readonly seconds: number;
  readonly sectionSeconds: Record<string, number>;
  readonly environment: Record<string, string | number>;
  readonly corpus: { readonly images: number; readonly photographs: number; readonly bytes: number; readonly names: string[] };
  readonly notes: string[];
}

const METHOD = [
  '1: the corpus is uploaded through UploadImage (untimed, each upload with bytes of its own so nothing is deduplicated), then GenerateThumbnails runs every job over the real fs + libsql + sharp adapters (built by createImagehost), as a worker runs them: WORKER_CONCURRENCY jobs at once, of which at most RENDER_CONCURRENCY render at once (the others read their original, or write and record their renditions); the yardstick is sharp alone doing the same decode, resize and encode on the same bytes at the same settings (RENDER_CONCURRENCY renders at once; libvips threads per image, VIPS_CONCURRENCY; libvips\' operation cache off, as in the services; an embedded ICC profile that is sRGB in all but name left unconverted, as the resizer leaves it, decided per image before the timing, while imagehost\'s side reads the header for it in every job). A third side runs the same use cases with only the store swapped for InMemoryStorageService (a fresh one each round; same libsql database and sharp, bytes of their own), so the run itself shows how much of the gap the durable disk is. Timed rounds (12; 2 with --quick) follow untimed warm-up rounds over the whole corpus on every side (12; 1 with --quick: over a fresh process\'s first dozen rounds imagehost\'s side still gains 0.02 – 0.04 on raw sharp\'s, from JIT tiers and the store\'s first shard folders) and alternate the order of the sides (forward, then backward), in a process run with the node flags and malloc settings the worker runs with, so a full run measures the steady state of a long-running worker. Its data folder (like the services\' DATA_DIR in 3 – 6) is made under <tmp>/imagehost-bench, marked `chattr +T` where the filesystem allows, so that ext4 puts it in a block group of its own: on ext4 without a journal, as on the machine these figures come from, allocating an inode skips every one deleted nearby in the last minutes, and after a large delete in the temp folder (an earlier run\'s clean-up, a test suite) creating a file there took 200 – 900 µs of CPU, nearly all the kernel\'s, instead of 10 – 25. Before anything, the section probes that cost in its data folder (100 new folders of three files, timed on its own thread\'s CPU clock), waits if it is over 60 µs (at most 180 s; 20 with --quick), and reports it before and after the timed rounds. CPU per image is this process\'s CPU time, which other load on the machine moves far less than wall time. The ratio is taken over all timed rounds together; the same ratio in each round alone (about a second a side) is reported too, its median and middle half, to show how far the machine\'s speed moves between one stretch and the next. On a virtual machine its host may give the cores to others while the bench has work for them (steal, from /proc/stat): the share of the machine\'s CPU time stolen within each side\'s timed windows (imagehost\'s, the store in memory\'s, raw sharp\'s) is reported, since uneven shares move the ratio with nothing of either side\'s doing; the ratio is also given with each side\'s renditions/s divided by the share of its windows the host left to the machine (1 − steal), which takes what the host took out of it.',
  '2: SharpImageResizer.render, one image at a time, with [150, 300, 600] against [300] alone, and three separate single-size renders for contrast; the order rotates per image.',
  '3–5: two `node dist/src/main.js serve` processes get the same closed-loop load (8 clients on 127.0.0.1, the corpus over and over) in alternating slices. On: the default in-process queue, so the API process makes the thumbnails while it takes uploads. Off: QUEUE=bullmq with no worker anywhere (a queue name of its own), so uploads are only enqueued; that adds a Redis enqueue (about 0.3 ms at the median here) to each off upload, which flatters the on ÷ off ratio slightly. After each on-slice the bench waits for its thumbnails, so background work never spills onto the off-slice.',
  '4: ready time is the ready row\'s updatedAt (read after the run through the project\'s repository, so nothing polls during the load) minus the moment the upload\'s answer arrived; under a closed loop that outruns thumbnailing it is mostly queueing, hence the yardstick of one job\'s own time from measure 1 (start to end, with WORKER_CONCURRENCY jobs sharing RENDER_CONCURRENCY render slots there: its wait for a slot included).',
  '5: VmRSS sampled every 100 ms and VmHWM from /proc/<pid>/status; "after" is read 2 s after a round\'s work is done.',
  '6: API and workers are separate processes on a scratch PostgreSQL database, a shared DATA_DIR and a queue of their own. Scaling out puts a second worker on a machine of its own, so the target\'s pair gives each worker a core of its own (`taskset`: worker 1 on core 0, worker 2 on core 1) and leaves it at its default for one core; PostgreSQL, Redis and the API run on either core, so with two workers they take their share from the workers, and with one they have a core to themselves. The same pair sharing both cores is measured for contrast, at one job each and at the default. The queue is paused while workers start; each worker then warms up on a pass over the corpus, untimed (JIT and its tiers, libvips start-up, connections: a worker in service is long past them), a batch is uploaded while the queue is paused again, the bench collects its own garbage (the uploads\' buffers, which it would otherwise collect inside the run, on a core the workers need), and the run is timed from resume to the last job\'s "job finished" log line, which the bench reads from the workers anyway (it neither polls the queue nor reads its event stream, either of which would take CPU from the workers). The machine ceilings are raw sharp two at a time ÷ one at a time, measured just before and after: in two processes with a core each ÷ one (the yardstick of the workers with a core each), and in one process on both cores (of the workers sharing them): what the machine allowed while other processes ran. Cores used counts the workers\' CPU time; machine busy counts every process\'s and the kernel\'s (from /proc/stat) over the same run, so the two show whether the workers or the machine ran out.',
];

const HEAD = ['measure', 'figure', 'yardstick', 'ratio', 'target', 'pass/miss'];

function cells(r: Row): string[] {
  return [r.measure, r.figure, r.yardstick, r.ratio === null ? '' : fmt(r.ratio, 2), targetText(r.target), r.verdict];
}

/** The table as fixed-width text, for the terminal. */
export function tableText(rows: readonly Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((line) => [...(line[i] ?? '')].length)));
  const line = (values: string[]) => values.map((v, i) => v + ' '.repeat((widths[i] ?? 0) - [...v].length)).join(' | ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map((r) => line(cells(r)))].join('\n');
}

function markdown(rows: readonly Row[], info: RunInfo, results: Results): string {
  const md = [
    `# imagehost bench — ${info.mode} run, ${info.startedAt}`,
    '',
    `Every ratio compares two figures measured in the same run, in alternating turns, so it holds far better than absolute figures on a noisy machine; the ratios that need spare cores (3 and 6) still want a quiet one (see "cores busy with other work" below). Took ${fmt(info.seconds, 0)} s.`,
    '',
    '![bench results](latest.svg)',
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`),
    '',
    '## Environment',
    '',
    ...Object.entries(info.environment).map(([k, v]) => `- ${k}: ${v}`),
    `- corpus: ${info.corpus.images} images (${info.corpus.photographs} photographs from Debian's wallpaper packages), ${fmt(info.corpus.bytes / 1048576)} MiB`,
    '',
    '## Section durations',
    '',
    ...Object.entries(info.sectionSeconds).map(([k, v]) => `- ${k}: ${fmt(v, 0)} s`),
  ];
  const l = results.latency;
  if (l) {
    md.push('', '## Memory per round (MiB)', '', '| server | idle | round | sampled peak | VmHWM | after | cores used |', '|---|---|---|---|---|---|---|');
    for (const side of [l.on, l.off]) {
      side.rounds.forEach((r, i) => md.push(`| ${side.label} | ${fmt(side.idleRssMiB, 0)} | ${i + 1} | ${fmt(r.sampledPeakMiB, 0)} | ${fmt(r.peakSinceStartMiB, 0)} | ${fmt(r.afterMiB, 0)} | ${fmt(r.coresUsed, 2)} |`));
    }
  }
  if (results.scale) {
    md.push('', '## BullMQ runs', '', '| workers | cores | jobs at once | jobs ready | seconds | renditions/s | cores used (workers) | machine busy |', '|---|---|---|---|---|---|---|---|');
    for (const r of results.scale.runs) {
      md.push(`| ${r.workers} | ${r.setup.placement === 'own core' ? 'one each' : 'shared'} | ${r.concurrency} | ${r.ready}/${r.jobs} | ${fmt(r.seconds, 2)} | ${fmt(r.perSecond)} | ${fmt(r.coresUsed, 2)} | ${fmt(r.machineBusy, 2)} |`);
    }
  }
  md.push('', '## How each figure is measured', '', ...METHOD.map((m) => `- ${m}`));
  if (info.notes.length) md.push('', '## Notes', '', ...info.notes.map((n) => `- ${n}`));
  return `${md.join('\n')}\n`;
}

/** Writes <name>.json, <name>.md and <name>.svg into `dir` (each written whole, then renamed into place). */
export async function writeReports(dir: string, name: string, results: Results, info: RunInfo): Promise<Row[]> {
  const rows = buildRows(results);
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [`${name}.json`, `${JSON.stringify({ ...info, rows, results }, null, 2)}\n`],
    [`${name}.md`, markdown(rows, info, results).replace('(latest.svg)', `(${name}.svg)`)],
    [`${name}.svg`, chartSvg(rows, `imagehost bench (${info.mode}, ${info.startedAt.slice(0, 10)}): how close to the limit`)],
  ];
  for (const [file, text] of files) {
    const target = path.join(dir, file);
    await writeFile(`${target}.tmp`, text);
    await rename(`${target}.tmp`, target);
  }
  return rows;
}
