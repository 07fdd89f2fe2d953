// Writes a chart figure to .svg as is, or to .png by rasterising the SVG with sharp (librsvg).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import sharp from 'sharp';
import { figureSize, renderFigureSvg, type Figure } from './line-chart.js';

export interface SavedChart {
  file: string;
  format: 'png' | 'svg';
  width: number;
  height: number;
}

/** The output format from a file name; anything but .png / .svg is an error naming the file. */
export function chartFormat(file: string): 'png' | 'svg' {
  const ext = extname(file).toLowerCase();
  if (ext === '.png' || ext === '.svg') return ext.slice(1) as 'png' | 'svg';
  throw new Error(`${file}: expected an output file ending in .png or .svg, got '${ext || 'no extension'}'`);
}

/** A width or height option in pixels (undefined stays undefined: the figure's default); errors name the option. */
export function parsePixels(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 100 || n > 20000) throw new Error(`${option}: expected a whole number of pixels from 100 to 20000, got '${value}'`);
  return n;
}

export async function saveFigure(fig: Figure, file: string): Promise<SavedChart> {
  const format = chartFormat(file);
  const svg = renderFigureSvg(fig);
  const { width, height } = figureSize(fig);
  mkdirSync(dirname(file), { recursive: true });
  if (format === 'svg') writeFileSync(file, svg);
  // librsvg draws text with fontconfig's fonts; density 72 keeps 1 SVG unit = 1 pixel.
  else await sharp(Buffer.from(svg), { density: 72 }).png().toFile(file);
  return { file, format, width, height };
}
