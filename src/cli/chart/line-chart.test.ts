import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decimate, parsePixels, renderFigureSvg, saveFigure, type Figure } from './index.js';

const steps = [10, 20, 30, 40, 50];
const fig = (over: Partial<Figure> = {}): Figure => ({
  title: 'Runs <a & b>',
  panels: [
    { title: 'loss', xLabel: 'iter', yLabel: 'loss', series: [{ label: 'run_a', x: steps, y: [2, 1.5, 1.2, 1, 0.9] }, { label: 'run_b', x: steps, y: [2.2, 1.8, NaN, 1.1, 1] }] },
    { title: 'mIoU', xLabel: 'step', series: [{ label: 'run_a', x: [25, 50], y: [40, 55] }] },
  ],
  ...over,
});

/** Width and height from the PNG signature + IHDR chunk, read by hand (not through sharp). */
function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(buf.toString('latin1', 12, 16), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test('the SVG has one path per series, a legend entry per series, panel titles, axis labels and ticks', () => {
  const svg = renderFigureSvg(fig());
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="900" height="600" /);
  assert.equal((svg.match(/<g class="series" data-series="run_a"/g) ?? []).length, 2);
  assert.equal((svg.match(/<path d="M/g) ?? []).length, 3);
  assert.match(svg, /<text [^>]*class="legend">run_b<\/text>/);
  assert.match(svg, /class="panel-title">loss</);
  assert.match(svg, /class="panel-title">mIoU</);
  assert.match(svg, /class="axis-label">iter</);
  assert.match(svg, /class="tick">2\.0</);
  // The title is escaped, not injected.
  assert.match(svg, /Runs &lt;a &amp; b&gt;/);
  assert.doesNotMatch(svg, /<a & b>/);
});

test('a NaN leaves a gap: the path restarts with a new M', () => {
  const svg = renderFigureSvg(fig());
  const runB = svg.split('data-series="run_b"')[1]!.split('</g>')[0]!;
  const d = /d="([^"]+)"/.exec(runB)![1]!;
  assert.equal(d.match(/M/g)!.length, 2, d);
  assert.equal(d.match(/L/g)!.length, 2, d);
});

test('sparse series get a dot per point; a log axis leaves out values <= 0', () => {
  const svg = renderFigureSvg({ panels: [{ logY: true, series: [{ label: 'lr', x: [0, 1, 2, 3], y: [0, 1e-6, 1e-5, 0] }] }] });
  assert.equal((svg.match(/<circle /g) ?? []).length, 2);
  assert.match(svg, /class="tick">1e-6</);
  const empty = renderFigureSvg({ panels: [{ logY: true, series: [{ label: 'lr', x: [0], y: [0] }] }] });
  assert.match(empty, /no positive values to show on a log scale/);
});

test('bad input is refused with what was expected', () => {
  assert.throws(() => renderFigureSvg({ panels: [] }), /at least one panel/);
  assert.throws(() => renderFigureSvg({ panels: [{ series: [{ label: 'a', x: [1, 2], y: [1] }] }] }), /series 'a': 2 x values but 1 y values/);
  assert.throws(() => renderFigureSvg(fig({ width: 50 })), /chart width: expected an integer from 100 to 20000 pixels, got 50/);
  assert.throws(() => parsePixels('12.5', '--width'), /--width: expected a whole number of pixels from 100 to 20000, got '12.5'/);
  assert.equal(parsePixels('640', '--width'), 640);
});

test('decimate keeps each pixel column\'s first, lowest, highest and last point', () => {
  const pts: [number, number][] = Array.from({ length: 1000 }, (_, i) => [i / 100, i === 537 ? -50 : i % 7]);
  const out = decimate(pts, 10);
  assert.ok(out.length <= 40, `${out.length}`);
  assert.ok(out.some(([, y]) => y === -50), 'the spike survives');
  assert.deepEqual(out[0], pts[0]);
  assert.deepEqual(out[out.length - 1], pts[999]);
  assert.equal(decimate(pts.slice(0, 30), 10).length, 30);
});

test('PNG output has the requested size and the labels are drawn (fonts present)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-chart-'));
  const saved = await saveFigure(fig({ width: 640, height: 480 }), join(dir, 'sub', 'c.png'));
  assert.deepEqual(saved, { file: join(dir, 'sub', 'c.png'), format: 'png', width: 640, height: 480 });
  assert.deepEqual(pngSize(readFileSync(saved.file)), { width: 640, height: 480 });
  // The band above the first panel holds only the title: dark pixels there are its glyphs.
  const { data, info } = await sharp(saved.file).greyscale().raw().toBuffer({ resolveWithObject: true });
  let dark = 0;
  for (let y = 4; y < 30; y++) for (let x = 0; x < info.width; x++) if (data[y * info.width + x]! < 128) dark += 1;
  assert.ok(dark > 100, `only ${dark} dark pixels in the title band: is a font installed (fc-list)?`);
});

test('SVG output is written as is; other extensions are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-chart-'));
  await saveFigure(fig(), join(dir, 'c.svg'));
  assert.equal(readFileSync(join(dir, 'c.svg'), 'utf8'), renderFigureSvg(fig()));
  await assert.rejects(saveFigure(fig(), join(dir, 'c.jpg')), /c\.jpg: expected an output file ending in \.png or \.svg, got '\.jpg'/);
});
