import type { LatencyResult, ServerFigures } from './latency.js';
import type { PipelineResult } from './pipeline.js';
import type { ResizerResult } from './resizer.js';
import type { ScaleResult } from './scale.js';
import { setupText } from './scale-setup.js';
import { fmt, median, percentile } from './stats.js';

/** One line of the results table: a figure, its yardstick measured in the same run, their ratio, the target. */
export interface Row {
  readonly measure: string;
  readonly figure: string;
  readonly yardstick: string;
  readonly ratio: number | null;
  readonly target: { readonly op: '>=' | '<='; readonly value: number } | null;
  readonly verdict: 'pass' | 'miss' | 'info' | 'error';
}

export interface Results {
  pipeline?: PipelineResult;
  resizer?: ResizerResult;
  latency?: LatencyResult;
  scale?: ScaleResult;
  errors: Record<string, string>;
}

function row(measure: string, figure: string, yardstick: string, ratio: number, target?: Row['target']): Row {
  const verdict = !target ? 'info' : !Number.isFinite(ratio) ? 'error' : (target.op === '>=' ? ratio >= target.value : ratio <= target.value) ? 'pass' : 'miss';
  return { measure, figure, yardstick, ratio, target: target ?? null, verdict };
}

const failed = (measure: string, error: string): Row => ({ measure, figure: `error: ${error.split('\n')[0]?.slice(0, 60)}`, yardstick: '', ratio: null, target: null, verdict: 'error' });

export function buildRows(results: Results): Row[] {
  const rows: Row[] = [];
  const { pipeline: p, resizer: z, latency: l, scale: s, errors } = results;
  if (p) {
    rows.push(row('1 pipeline throughput (GenerateThumbnails)', `${fmt(p.imagehost.perSecond)} renditions/s`, `raw sharp ${fmt(p.rawSharp.perSecond)}/s`, p.ratio, { op: '>=', value: 0.85 }));
    const [low, middle, high] = [percentile(p.roundRatios, 25), median(p.roundRatios), percentile(p.roundRatios, 75)];
    const spread = `median ${fmt(middle, 2)}, middle half ${fmt(low, 2)} – ${fmt(high, 2)} (${p.roundRatios.length} rounds)`;
    rows.push(row('1 the same, each round alone (the machine\'s spread)', spread, `all rounds ${fmt(p.ratio, 2)}`, middle));
    const cpu = { ih: p.imagehost.cpuMsPerImage, raw: p.rawSharp.cpuMsPerImage };
    rows.push(row('1 CPU per image, GenerateThumbnails ÷ raw', `${fmt(cpu.ih)} ms CPU/image`, `raw sharp ${fmt(cpu.raw)} ms`, cpu.ih / cpu.raw));
    const m = p.storeInMemory;
    rows.push(row('1 the same with the store in memory (what the disk costs)', `${fmt(m.perSecond)} renditions/s`, `raw sharp ${fmt(p.rawSharp.perSecond)}/s`, p.ratioStoreInMemory));
    rows.push(row('1 CPU per image, store in memory ÷ raw', `${fmt(m.cpuMsPerImage)} ms CPU/image`, `raw sharp ${fmt(cpu.raw)} ms`, m.cpuMsPerImage / cpu.raw));
    const { imagehost: stolen, raw: stolenRaw, storeInMemory: stolenInMemory } = p.stolen;
    const stealRatio = stolenRaw > 0 ? stolen / stolenRaw : Number.NaN;
    const stealFigure = `${fmt(stolen * 100, 1)} % of its CPU time (store in memory ${fmt(stolenInMemory * 100, 1)} %)`;
    rows.push(row('1 CPU its host took from the machine (steal), imagehost ÷ raw', stealFigure, `raw sharp ${fmt(stolenRaw * 100, 1)} %`, stealRatio));
    // Per second the host left to the machine: a side whose windows lost more to steal had less machine to run on.
    const [unstolen, unstolenRaw] = [p.imagehost.perSecond / (1 - stolen), p.rawSharp.perSecond / (1 - stolenRaw)];
    rows.push(row('1 pipeline throughput per second its host left to the machine', `${fmt(unstolen)} renditions/s`, `raw sharp ${fmt(unstolenRaw)}/s`, unstolen / unstolenRaw));
    const f = p.fileCreation;
    const waited = f.waitedSeconds >= 1 ? `, ${fmt(f.firstMicros, 0)} µs then waited ${fmt(f.waitedSeconds, 0)} s` : '';
    const place = f.topDir ? 'in a fresh block group' : 'no top-directory flag';
    rows.push(row('1 CPU to create a file in the data folder, before ÷ after', `${fmt(f.startMicros, 0)} µs (${place}${waited})`, `after ${fmt(f.endMicros, 0)} µs`, f.startMicros / f.endMicros));
  } else if (errors.pipeline) rows.push(failed('1 pipeline throughput', errors.pipeline));
  if (z) {
    rows.push(row('2 render 150,300,600 from one decode', `${fmt(z.allSizes)} ms/image`, `[300] alone ${fmt(z.single)} ms`, z.ratioAll, { op: '<=', value: 1.5 }));
    rows.push(row('2 three single-size renders (contrast)', `${fmt(z.threeSeparate)} ms/image`, `[300] alone ${fmt(z.single)} ms`, z.ratioSeparate));
  } else if (errors.resizer) rows.push(failed('2 one decode vs one size', errors.resizer));
  if (l) {
    const { on, off } = l;
    rows.push(row('3 upload p50, thumbnails on ÷ off', `${fmt(on.latencyMs.p50)} ms`, `off ${fmt(off.latencyMs.p50)} ms`, on.latencyMs.p50 / off.latencyMs.p50));
    rows.push(row('3 upload p95, thumbnails on ÷ off', `${fmt(on.latencyMs.p95)} ms`, `off ${fmt(off.latencyMs.p95)} ms`, on.latencyMs.p95 / off.latencyMs.p95, { op: '<=', value: 1.3 }));
    rows.push(row('3 upload p99, thumbnails on ÷ off', `${fmt(on.latencyMs.p99)} ms`, `off ${fmt(off.latencyMs.p99)} ms`, on.latencyMs.p99 / off.latencyMs.p99));
    const job = p?.imagehost.jobMs;
    rows.push(row('4 answer → thumbnail_ready p50', `${fmt(on.readyMs.p50, 0)} ms`, job ? `one job ${fmt(job.p50, 0)} ms` : 'n/a', job ? on.readyMs.p50 / job.p50 : Number.NaN));
    rows.push(row('4 answer → thumbnail_ready p95', `${fmt(on.readyMs.p95, 0)} ms`, job ? `one job ${fmt(job.p95, 0)} ms` : 'n/a', job ? on.readyMs.p95 / job.p95 : Number.NaN));
    rows.push(row('4 uploads/s sustained, on ÷ off', `${fmt(on.uploadsPerSecond)}/s`, `off ${fmt(off.uploadsPerSecond)}/s`, on.uploadsPerSecond / off.uploadsPerSecond));
    rows.push(row('4 thumbnail jobs/s ÷ uploads/s (on)', `${fmt(on.thumbnailsPerSecond)} jobs/s`, `uploads ${fmt(on.uploadsPerSecond)}/s`, on.thumbnailsPerSecond / on.uploadsPerSecond));
    const peak = (f: ServerFigures) => Math.max(...f.rounds.map((r) => r.peakSinceStartMiB));
    rows.push(row('5 peak RSS under load (VmHWM), on ÷ off', `${fmt(peak(on), 0)} MiB`, `off ${fmt(peak(off), 0)} MiB`, peak(on) / peak(off)));
    const first = on.rounds[0]?.afterMiB ?? Number.NaN;
    const last = on.rounds.at(-1)?.afterMiB ?? Number.NaN;
    rows.push(row(`5 RSS after round ${on.rounds.length} ÷ round 1 (on)`, `${fmt(last, 0)} MiB`, `round 1 ${fmt(first, 0)} MiB`, last / first, { op: '<=', value: 1.1 }));
    rows.push(row('5 RSS after load ÷ idle before (on)', `${fmt(last, 0)} MiB`, `idle ${fmt(on.idleRssMiB, 0)} MiB`, last / on.idleRssMiB));
  } else if (errors.latency) rows.push(failed('3-5 upload latency and memory', errors.latency));
  if (s) {
    for (const pair of s.pairs) {
      const figure = `${fmt(pair.two)} renditions/s (${fmt(pair.coresTwo, 2)} cores; machine ${fmt(pair.machineTwo, 2)})`;
      const yardstick = `1 worker ${fmt(pair.one)}/s (${fmt(pair.coresOne, 2)} cores; machine ${fmt(pair.machineOne, 2)})`;
      // The scale-out target is for a second worker with cores of its own, at its defaults: sharing one
      // machine's cores, one worker at its default already keeps them busy, and a second has little left to add.
      const target = pair.setup.placement === 'own core' && pair.setup.concurrency === undefined ? ({ op: '>=', value: 1.6 } as const) : undefined;
      rows.push(row(`6 BullMQ 2 workers ÷ 1, ${setupText(pair.setup, pair.concurrency)}`, figure, yardstick, pair.ratio, target));
    }
    for (const [where, { before, after, ratio }] of [['a process a core each', s.ownCoreCeiling], ['one process', s.ceiling]] as const) {
      rows.push(row(`6 machine ceiling: raw sharp 2 at once ÷ 1, ${where}`, `${fmt(ratio, 2)}×`, `before ${fmt(before, 2)}, after ${fmt(after, 2)}`, ratio));
    }
  } else if (errors.scale) rows.push(failed('6 BullMQ 2 workers ÷ 1', errors.scale));
  return rows;
}

export function targetText(target: Row['target']): string {
  return target ? `${target.op === '>=' ? '≥' : '≤'} ${target.value}` : '—';
}
