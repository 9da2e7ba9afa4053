/**
 * A small hand-written SVG chart: panels stacked vertically over one shared time axis, each either lines (with
 * gaps where a value is missing) or a 100 % stacked area. No charting dependency: the whole picture is a few
 * hundred elements, and the report must render where Grafana is not.
 */
export interface LineSeries {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | undefined>;
  readonly dash?: string;
  readonly width?: number;
  /** x positions of this series' values, when they are not the chart's `times` (an x-y plot such as a frontier). */
  readonly times?: readonly number[];
  /** Draws a dot at every value, so the measured points stand out from the lines joining them. */
  readonly markers?: boolean;
}

export interface LinePanel {
  readonly kind: 'lines';
  readonly title: string;
  /** Appended to y tick labels, e.g. `s`. */
  readonly unit: string;
  readonly series: readonly LineSeries[];
}

export interface StackSeries {
  readonly label: string;
  readonly color: string;
  /** Shares from 0 to 1; the series of one panel add up to 1 at each time (or to 0 where nothing happened). */
  readonly values: readonly number[];
}

export interface StackPanel {
  readonly kind: 'stack';
  readonly title: string;
  readonly series: readonly StackSeries[];
}

export type Panel = LinePanel | StackPanel;

export interface Chart {
  readonly title: string;
  readonly subtitle: string;
  /** Seconds since the run started, one per value of every series. */
  readonly times: readonly number[];
  readonly panels: readonly Panel[];
  /** A shaded time range drawn across every panel, e.g. a rollout. */
  readonly band?: { readonly from: number; readonly to: number; readonly label: string };
  readonly footer?: string;
  /** Unit of the x axis labels; seconds (`s`) by default. */
  readonly xUnit?: string;
}

const WIDTH = 1000;
const LEFT = 70;
const LEGEND_WIDTH = 200;
const PLOT_WIDTH = WIDTH - LEFT - LEGEND_WIDTH - 20;
const HEADER = 78;
const PANEL_TITLE = 30;
const PLOT_HEIGHT = 190;
const PANEL_GAP = 46;
const FOOTER = 40;
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function renderSvg(chart: Chart): string {
  const height = HEADER + chart.panels.length * (PANEL_TITLE + PLOT_HEIGHT + PANEL_GAP) + FOOTER;
  const start = chart.times[0] ?? 0;
  const end = Math.max(start + 1, chart.times.at(-1) ?? 1);
  const x = (t: number): number => LEFT + ((t - start) / (end - start)) * PLOT_WIDTH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="32" font-size="22" font-weight="bold" fill="#111">${escape(chart.title)}</text>`,
    `<text x="${LEFT}" y="56" font-size="13" fill="#444">${escape(chart.subtitle)}</text>`,
  ];
  chart.panels.forEach((panel, index) => {
    const top = HEADER + index * (PANEL_TITLE + PLOT_HEIGHT + PANEL_GAP) + PANEL_TITLE;
    parts.push(
      `<text x="${LEFT}" y="${top - 10}" font-size="15" font-weight="bold" fill="#222">${escape(panel.title)}</text>`,
    );
    if (chart.band !== undefined) parts.push(band(chart.band, x, top));
    parts.push(panel.kind === 'lines' ? linePanel(panel, chart.times, x, top) : stackPanel(panel, chart.times, x, top));
    // The band's edges again on top: a stacked area covers the band itself.
    if (chart.band !== undefined) parts.push(bandEdges(chart.band, x, top, index === 0));
    parts.push(timeAxis(start, end, x, top + PLOT_HEIGHT, chart.xUnit ?? 's'));
  });
  if (chart.footer !== undefined) {
    parts.push(`<text x="${LEFT}" y="${height - 16}" font-size="12" fill="#555">${escape(chart.footer)}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

// Private: panels.

function linePanel(panel: LinePanel, times: readonly number[], x: (t: number) => number, top: number): string {
  const highest = Math.max(
    0,
    ...panel.series.flatMap((series) => series.values.filter((value): value is number => value !== undefined)),
  );
  const ticks = niceTicks(highest * 1.08);
  const yMax = ticks.at(-1) ?? 1;
  const y = (value: number): number => top + PLOT_HEIGHT - (value / yMax) * PLOT_HEIGHT;
  const parts = [frame(top), ...ticks.map((tick) => yTick(y(tick), `${formatNumber(tick)} ${panel.unit}`.trim()))];
  for (const series of panel.series) {
    let path = '';
    let pen = false;
    const dots: string[] = [];
    series.values.forEach((value, index) => {
      const t = (series.times ?? times)[index];
      if (value === undefined || t === undefined) {
        pen = false;
        return;
      }
      path += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(value).toFixed(1)} `;
      if (series.markers === true)
        dots.push(`<circle cx="${x(t).toFixed(1)}" cy="${y(value).toFixed(1)}" r="3.5" fill="${series.color}"/>`);
      pen = true;
    });
    const dash = series.dash === undefined ? '' : ` stroke-dasharray="${series.dash}"`;
    parts.push(
      `<path d="${path.trim()}" fill="none" stroke="${series.color}" stroke-width="${series.width ?? 2.2}"${dash} stroke-linejoin="round"/>`,
      ...dots,
    );
  }
  parts.push(
    legend(
      panel.series.map((series) => ({ label: series.label, color: series.color, dash: series.dash, line: true })),
      top,
    ),
  );
  return parts.join('\n');
}

function stackPanel(panel: StackPanel, times: readonly number[], x: (t: number) => number, top: number): string {
  const y = (share: number): number => top + PLOT_HEIGHT - share * PLOT_HEIGHT;
  const parts = [frame(top), ...[0, 0.25, 0.5, 0.75, 1].map((tick) => yTick(y(tick), `${Math.round(tick * 100)} %`))];
  const below = times.map(() => 0);
  for (const series of panel.series) {
    const above = below.map((base, index) => base + (series.values[index] ?? 0));
    const upper = times.map((t, index) => `${x(t).toFixed(1)},${y(above[index] ?? 0).toFixed(1)}`);
    const lower = times.map((t, index) => `${x(t).toFixed(1)},${y(below[index] ?? 0).toFixed(1)}`).reverse();
    parts.push(
      `<polygon points="${[...upper, ...lower].join(' ')}" fill="${series.color}" fill-opacity="0.85" stroke="${series.color}" stroke-width="0.5"/>`,
    );
    above.forEach((value, index) => (below[index] = value));
  }
  parts.push(
    legend(
      panel.series.map((series) => ({ label: series.label, color: series.color, dash: undefined, line: false })),
      top,
    ),
  );
  return parts.join('\n');
}

// Private: furniture.

function frame(top: number): string {
  return `<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PLOT_HEIGHT}" fill="none" stroke="#999" stroke-width="1"/>`;
}

function yTick(y: number, label: string): string {
  return [
    `<line x1="${LEFT}" y1="${y.toFixed(1)}" x2="${LEFT + PLOT_WIDTH}" y2="${y.toFixed(1)}" stroke="#e3e3e3" stroke-width="1"/>`,
    `<text x="${LEFT - 8}" y="${(y + 4).toFixed(1)}" font-size="12" fill="#444" text-anchor="end">${escape(label)}</text>`,
  ].join('\n');
}

function timeAxis(start: number, end: number, x: (t: number) => number, bottom: number, unit: string): string {
  const span = end - start;
  // Spans of a few units are x-y plots (e.g. computes per user-hour), not seconds of a run.
  const step = span <= 2 ? 0.1 : span <= 5 ? 0.5 : span <= 20 ? 1 : span <= 60 ? 5 : span <= 300 ? 30 : 60;
  const labelEvery = span <= 20 ? 2 : 1;
  const parts: string[] = [];
  for (let t = Math.ceil(start / step) * step, n = 0; t <= end + 1e-9; t += step, n++) {
    parts.push(
      `<line x1="${x(t).toFixed(1)}" y1="${bottom}" x2="${x(t).toFixed(1)}" y2="${bottom + 5}" stroke="#666"/>`,
    );
    if (n % labelEvery === 0) {
      parts.push(
        `<text x="${x(t).toFixed(1)}" y="${bottom + 19}" font-size="12" fill="#444" text-anchor="middle">${Number(t.toFixed(6))} ${escape(unit)}</text>`,
      );
    }
  }
  return parts.join('\n');
}

function band(range: NonNullable<Chart['band']>, x: (t: number) => number, top: number): string {
  const left = x(range.from);
  const width = Math.max(1, x(range.to) - left);
  return `<rect x="${left.toFixed(1)}" y="${top}" width="${width.toFixed(1)}" height="${PLOT_HEIGHT}" fill="#f2d9a6" fill-opacity="0.45"/>`;
}

function bandEdges(
  range: NonNullable<Chart['band']>,
  x: (t: number) => number,
  top: number,
  labelled: boolean,
): string {
  const edges = [x(range.from), x(range.to)].map(
    (at) =>
      `<line x1="${at.toFixed(1)}" y1="${top}" x2="${at.toFixed(1)}" y2="${top + PLOT_HEIGHT}" stroke="#7a5200" stroke-width="1.2" stroke-dasharray="4 3"/>`,
  );
  if (labelled) {
    const middle = (x(range.from) + x(range.to)) / 2;
    edges.push(
      `<text x="${middle.toFixed(1)}" y="${top + 16}" font-size="12" fill="#7a5200" text-anchor="middle">${escape(range.label)}</text>`,
    );
  }
  return edges.join('\n');
}

function legend(
  entries: ReadonlyArray<{ label: string; color: string; dash: string | undefined; line: boolean }>,
  top: number,
): string {
  const left = LEFT + PLOT_WIDTH + 18;
  return entries
    .map((entry, index) => {
      const y = top + 14 + index * 22;
      const swatch = entry.line
        ? `<line x1="${left}" y1="${y}" x2="${left + 26}" y2="${y}" stroke="${entry.color}" stroke-width="3"${entry.dash === undefined ? '' : ` stroke-dasharray="${entry.dash}"`}/>`
        : `<rect x="${left}" y="${y - 7}" width="26" height="14" fill="${entry.color}"/>`;
      return `${swatch}\n<text x="${left + 34}" y="${y + 4}" font-size="13" fill="#222">${escape(entry.label)}</text>`;
    })
    .join('\n');
}

/** Round tick values from 0 to at least `max`: steps of 1, 2 or 5 times a power of ten, four to six of them. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step - 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}
