// Line charts as SVG: one or more stacked panels, each with axes, ticks, grid, a legend and its series.
import { linearScale, logScale, type Scale } from './scale.js';
import { element, escapeXml, px, textWidth } from './svg.js';

export interface Series {
  label: string;
  x: readonly number[];
  /** Non-finite values (and values <= 0 on a log axis) leave a gap in the line. */
  y: readonly number[];
  /** CSS colour; default: the palette colour of the series' index in its panel. */
  color?: string;
}

export interface Panel {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  series: readonly Series[];
}

export interface Figure {
  title?: string;
  /** Pixels; default 900. */
  width?: number;
  /** Pixels; default 40 + 280 per panel. */
  height?: number;
  panels: readonly Panel[];
}

/** matplotlib's tab10: what MMSeg's plot_curve users are used to. */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
const FONT = 12;
const TITLE_FONT = 16;
const LINE = 18;
/** Series with at most this many points also get a dot per point (sparse validation metrics). */
const MARKER_LIMIT = 40;

export function figureSize(fig: Figure): { width: number; height: number } {
  const width = fig.width ?? 900;
  const height = fig.height ?? 40 + 280 * Math.max(1, fig.panels.length);
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 100 || v > 20000) throw new RangeError(`chart ${name}: expected an integer from 100 to 20000 pixels, got ${v}`);
  }
  return { width, height };
}

interface Box { left: number; top: number; width: number; height: number }

/** The whole figure as an SVG document. */
export function renderFigureSvg(fig: Figure): string {
  if (fig.panels.length === 0) throw new RangeError('chart: expected at least one panel');
  const { width, height } = figureSize(fig);
  const titleBand = fig.title ? 34 : 8;
  const panelHeight = (height - titleBand) / fig.panels.length;
  const parts: string[] = [element('rect', { x: 0, y: 0, width, height, fill: 'white' })];
  if (fig.title) {
    parts.push(element('text', { x: width / 2, y: 23, 'text-anchor': 'middle', 'font-size': TITLE_FONT, 'font-weight': 'bold', class: 'figure-title' }, escapeXml(fig.title)));
  }
  const layouts = fig.panels.map((panel, i) => layoutPanel(panel, { left: 0, top: titleBand + i * panelHeight, width, height: panelHeight }));
  // One left edge for all panels, so that their x axes line up.
  const left = Math.max(...layouts.map((l) => l.left));
  layouts.forEach((layout, i) => parts.push(renderPanel(layout, i, left)));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="${FONT}">`,
    fig.title ? `<title>${escapeXml(fig.title)}</title>` : '',
    ...parts,
    '</svg>',
  ].join('\n') + '\n';
}

interface Extent { xMin: number; xMax: number; yMin: number; yMax: number }

function extent(panel: Panel): Extent | null {
  let e: Extent | null = null;
  for (const s of panel.series) {
    if (s.x.length !== s.y.length) throw new RangeError(`chart series '${s.label}': ${s.x.length} x values but ${s.y.length} y values`);
    s.x.forEach((x, k) => {
      const y = s.y[k]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || (panel.logY && y <= 0)) return;
      if (!e) e = { xMin: x, xMax: x, yMin: y, yMax: y };
      else {
        e.xMin = Math.min(e.xMin, x);
        e.xMax = Math.max(e.xMax, x);
        e.yMin = Math.min(e.yMin, y);
        e.yMax = Math.max(e.yMax, y);
      }
    });
  }
  return e;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Legend entries flow after the panel title and wrap; returns the header lines as SVG and their height. */
function renderHeader(panel: Panel, colors: string[], box: Box, left: number): { svg: string; height: number } {
  const items: { text: string; color?: string; bold?: boolean }[] = [];
  if (panel.title) items.push({ text: panel.title, bold: true });
  panel.series.forEach((s, i) => items.push({ text: s.label, color: colors[i] }));
  const maxX = box.left + box.width - 20;
  let x = left;
  let line = 0;
  const out: string[] = [];
  for (const item of items) {
    const w = (item.color ? 26 : 0) + textWidth(item.text, FONT) + 18;
    if (x + w > maxX && x > left) {
      line += 1;
      x = left;
    }
    const baseline = box.top + 6 + LINE * line + FONT;
    if (item.color) {
      out.push(element('line', { x1: x, y1: baseline - 4, x2: x + 20, y2: baseline - 4, stroke: item.color, 'stroke-width': 2.5 }));
      out.push(element('text', { x: x + 26, y: baseline, class: 'legend' }, escapeXml(item.text)));
    } else {
      out.push(element('text', { x, y: baseline, 'font-weight': 'bold', class: 'panel-title' }, escapeXml(item.text)));
    }
    x += w;
  }
  return { svg: out.join('\n'), height: 10 + LINE * (line + 1) };
}

interface PanelLayout {
  panel: Panel;
  box: Box;
  colors: string[];
  data: Extent | null;
  header: { svg: string; height: number };
  top: number;
  plotHeight: number;
  yScale: Scale;
  /** The plot's left edge this panel needs for its y tick labels and y label. */
  left: number;
}

function layoutPanel(panel: Panel, box: Box): PanelLayout {
  const colors = panel.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!);
  const data = extent(panel);
  const header = renderHeader(panel, colors, box, box.left + 20);
  const top = box.top + header.height;
  const bottom = box.top + box.height - (panel.xLabel ? 40 : 24);
  const plotHeight = Math.max(20, bottom - top);
  const yTicks = clamp(Math.round(plotHeight / 45), 2, 8);
  const yScale: Scale = !data ? linearScale(0, 1, yTicks)
    : panel.logY ? logScale(data.yMin, data.yMax, yTicks + 1) : linearScale(data.yMin, data.yMax, yTicks);
  const yLabelWidth = Math.max(...yScale.ticks.map((t) => textWidth(yScale.format(t), FONT)));
  const left = box.left + 12 + (panel.yLabel ? LINE : 0) + yLabelWidth + 8;
  return { panel, box, colors, data, header, top, plotHeight, yScale, left };
}

function renderPanel(layout: PanelLayout, index: number, left: number): string {
  const { panel, box, colors, data, header, top, plotHeight, yScale } = layout;
  const plot: Box = { left, top, width: Math.max(20, box.left + box.width - 24 - left), height: plotHeight };
  const xScale = data ? linearScale(data.xMin, data.xMax, clamp(Math.round(plot.width / 90), 2, 10)) : linearScale(0, 1, 2);
  const toX = (v: number): number => plot.left + xScale.position(v) * plot.width;
  const toY = (v: number): number => plot.top + (1 - yScale.position(v)) * plot.height;
  const clipId = `plot-${index}`;

  const out: string[] = [`<g class="panel" data-panel="${escapeXml(panel.title ?? String(index))}">`, header.svg];
  out.push(`<defs><clipPath id="${clipId}">${element('rect', { x: plot.left, y: plot.top, width: plot.width, height: plot.height })}</clipPath></defs>`);
  for (const t of xScale.ticks) {
    const x = toX(t);
    out.push(element('line', { x1: x, y1: plot.top, x2: x, y2: plot.top + plot.height, stroke: '#e6e6e6' }));
    out.push(element('line', { x1: x, y1: plot.top + plot.height, x2: x, y2: plot.top + plot.height + 4, stroke: '#333' }));
    out.push(element('text', { x, y: plot.top + plot.height + 17, 'text-anchor': 'middle', class: 'tick' }, escapeXml(xScale.format(t))));
  }
  for (const t of yScale.ticks) {
    const y = toY(t);
    out.push(element('line', { x1: plot.left, y1: y, x2: plot.left + plot.width, y2: y, stroke: '#e6e6e6' }));
    out.push(element('line', { x1: plot.left - 4, y1: y, x2: plot.left, y2: y, stroke: '#333' }));
    out.push(element('text', { x: plot.left - 7, y: y + 4, 'text-anchor': 'end', class: 'tick' }, escapeXml(yScale.format(t))));
  }
  out.push(element('rect', { x: plot.left, y: plot.top, width: plot.width, height: plot.height, fill: 'none', stroke: '#333' }));
  if (panel.xLabel) {
    out.push(element('text', { x: plot.left + plot.width / 2, y: plot.top + plot.height + 34, 'text-anchor': 'middle', class: 'axis-label' }, escapeXml(panel.xLabel)));
  }
  if (panel.yLabel) {
    const x = box.left + 12 + FONT;
    const y = plot.top + plot.height / 2;
    out.push(element('text', { x, y, 'text-anchor': 'middle', transform: `rotate(-90 ${px(x)} ${px(y)})`, class: 'axis-label' }, escapeXml(panel.yLabel)));
  }
  if (!data) {
    const why = panel.logY ? 'no positive values to show on a log scale' : 'no data';
    out.push(element('text', { x: plot.left + plot.width / 2, y: plot.top + plot.height / 2, 'text-anchor': 'middle', fill: '#888', class: 'no-data' }, why));
  }
  panel.series.forEach((s, i) => out.push(renderSeries(s, colors[i]!, clipId, toX, toY, Boolean(panel.logY), plot.width)));
  out.push('</g>');
  return out.join('\n');
}

function renderSeries(s: Series, color: string, clipId: string, toX: (v: number) => number, toY: (v: number) => number, logY: boolean, plotWidth: number): string {
  // Runs of drawable points; a gap (NaN, or <= 0 on a log axis) starts a new run.
  const runs: [number, number][][] = [[]];
  s.x.forEach((x, k) => {
    const y = s.y[k]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || (logY && y <= 0)) {
      if (runs[runs.length - 1]!.length) runs.push([]);
      return;
    }
    runs[runs.length - 1]!.push([toX(x), toY(y)]);
  });
  const drawn = runs.filter((r) => r.length > 0).map((r) => decimate(r, plotWidth));
  const d = drawn.map((r) => r.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x)} ${px(y)}`).join('')).join('');
  const out = [`<g class="series" data-series="${escapeXml(s.label)}" clip-path="url(#${clipId})">`];
  if (d) out.push(element('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.5, 'stroke-linejoin': 'round' }));
  const count = drawn.reduce((n, r) => n + r.length, 0);
  if (count <= MARKER_LIMIT) for (const r of drawn) for (const [x, y] of r) out.push(element('circle', { cx: x, cy: y, r: 2.5, fill: color }));
  out.push('</g>');
  return out.join('\n');
}

/**
 * Keeps the first, lowest, highest and last point of each pixel column when a run has far more
 * points than columns, so long logs stay small without losing spikes. Runs whose x is not
 * ascending are left as they are.
 */
export function decimate(points: [number, number][], columns: number): [number, number][] {
  if (points.length <= 4 * columns) return points;
  for (let k = 1; k < points.length; k++) if (points[k]![0] < points[k - 1]![0]) return points;
  const out: [number, number][] = [];
  let start = 0;
  while (start < points.length) {
    const column = Math.floor(points[start]![0]);
    let end = start;
    let lo = start;
    let hi = start;
    while (end + 1 < points.length && Math.floor(points[end + 1]![0]) === column) {
      end += 1;
      if (points[end]![1] < points[lo]![1]) lo = end;
      if (points[end]![1] > points[hi]![1]) hi = end;
    }
    for (const k of [...new Set([start, Math.min(lo, hi), Math.max(lo, hi), end])]) out.push(points[k]!);
    start = end + 1;
  }
  return out;
}
