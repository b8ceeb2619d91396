import { targetText, type Row } from './rows.js';

/**
 * The results as a plain SVG bar chart (no chart library): one bar per ratio, on a scale where 1.0
 * means "as fast / as big as its yardstick", with the target marked; green passes, red misses,
 * grey is for information.
 */
export function chartSvg(rows: readonly Row[], title: string): string {
  const plotted = rows.filter((r) => r.ratio !== null && Number.isFinite(r.ratio));
  // Wide enough for the longest label at ~6.6 px a character (12-px sans-serif).
  const label = Math.max(370, Math.ceil(20 + 6.6 * Math.max(...plotted.map((r) => r.measure.length))));
  const plot = 430;
  const right = 140;
  const rowHeight = 26;
  const top = 56;
  const width = label + plot + right;
  const height = top + plotted.length * rowHeight + 40;
  // Targets sit between 0.85 and 1.6: a fixed 0–3 scale keeps them readable; longer bars are clipped (→).
  const max = 3;
  const x = (value: number) => label + (Math.min(value, max) / max) * plot;
  const colour = { pass: '#2e7d32', miss: '#c62828', info: '#9e9e9e', error: '#6d4c41' };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">${escape(title)}</text>`,
    `<text x="12" y="40" fill="#555">ratio to the yardstick measured in the same run (1.0 = equal); ▏ target; green pass, red miss, grey information</text>`,
  ];
  for (let tick = 0; tick <= max; tick += 0.5) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 34}" stroke="${tick === 1 ? '#444' : '#e0e0e0'}" stroke-width="1"/>`);
    parts.push(`<text x="${tx}" y="${height - 20}" text-anchor="middle" fill="#555">${tick.toFixed(1)}</text>`);
  }
  plotted.forEach((r, i) => {
    const y = top + i * rowHeight;
    const ratio = r.ratio ?? 0;
    parts.push(`<text x="${label - 8}" y="${y + 16}" text-anchor="end">${escape(r.measure)}</text>`);
    parts.push(`<rect x="${label}" y="${y + 5}" width="${Math.max(1, x(ratio) - label)}" height="${rowHeight - 10}" fill="${colour[r.verdict]}" rx="2"/>`);
    if (r.target) parts.push(`<line x1="${x(r.target.value)}" y1="${y + 1}" x2="${x(r.target.value)}" y2="${y + rowHeight - 1}" stroke="#000" stroke-width="2"/>`);
    const note = `${ratio.toFixed(2)}${r.target ? ` (${targetText(r.target)} ${r.verdict})` : ''}${ratio > max ? ' →' : ''}`;
    parts.push(`<text x="${label + plot + 6}" y="${y + 16}" fill="${colour[r.verdict]}">${escape(note)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
