// MMSeg's SegLocalVisualizer._draw_sem_seg: a palette-coloured mask with class-name boxes, blended over the image.
import sharp from 'sharp';
import type { RgbImage } from '../../engine/visualization/image.js';
import type { Palette } from './class-names.js';
import type { SemSegMap } from './label-map.js';

/** [x, y] of the middle pixel of the row where `label` covers the most pixels (first such row). */
export function centerLoc(map: SemSegMap, label: number): [number, number] {
  const { data, height, width } = map;
  let bestRow = -1;
  let bestCount = 0;
  for (let y = 0; y < height; y++) {
    let count = 0;
    for (let x = 0; x < width; x++) if (data[y * width + x] === label) count++;
    if (count > bestCount) {
      bestCount = count;
      bestRow = y;
    }
  }
  if (bestRow < 0) throw new RangeError(`centerLoc: label ${label} does not occur`);
  let k = Math.floor(bestCount / 2);
  for (let x = 0; x < width; x++) {
    if (data[bestRow * width + x] === label && k-- === 0) return [x, bestRow];
  }
  throw new Error('unreachable');
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const FONT = 'DejaVu Sans';
let fontsMissing: boolean | undefined;
const measured = new Map<string, { width: number; height: number }>();

/** Width and height (px) of `text` rendered by Pango, or null where no font can be loaded. */
async function measureText(text: string, fontPx: number): Promise<{ width: number; height: number } | null> {
  if (fontsMissing) return null;
  const font = `${FONT} ${fontPx.toFixed(2)}px`;
  const key = `${font}\n${text}`;
  const known = measured.get(key);
  if (known) return known;
  try {
    const { info } = await sharp({ text: { text: escapeXml(text), font, rgba: true } }).png().toBuffer({ resolveWithObject: true });
    fontsMissing = false;
    const size = { width: info.width, height: info.height };
    // Class names repeat from image to image; a few hundred entries at most.
    if (measured.size < 4096) measured.set(key, size);
    return size;
  } catch (err) {
    fontsMissing = true;
    process.emitWarning(`SegLocalVisualizer: cannot render text (${(err as Error).message}); class names are not drawn. Install a font fontconfig finds (e.g. fonts-dejavu-core).`);
    return null;
  }
}

/**
 * Class-name boxes as MMSeg draws them with cv2: at each class's centre location a box filled
 * with the class colour and outlined in black, the name in white inside it. MMSeg scales its
 * Hershey font by min(H, W) / 500 (cap height about 22 px at scale 1); this uses DejaVu Sans at
 * the same cap height, rendered by librsvg through sharp.
 */
async function drawLabels(mask: Uint8Array, map: SemSegMap, labels: number[], classes: readonly string[], palette: Palette): Promise<Uint8Array> {
  const { height, width } = map;
  const fontScale = Math.min(height, width) / 500;
  const thickness = height < 300 || width < 300 ? 1 : 2;
  // DejaVu's cap height is 0.73 em.
  const fontPx = Math.max(1, (22 * fontScale) / 0.73);
  const baseline = Math.round(10 * fontScale) + thickness;
  const parts: string[] = [];
  for (const label of labels) {
    const text = classes[label]!;
    const size = await measureText(text, fontPx);
    if (!size) return mask;
    const [x, y] = centerLoc(map, label);
    const [r, g, b] = palette[label]!;
    const w = size.width + baseline;
    const h = size.height + baseline;
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="rgb(${r},${g},${b})"/>`,
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="black" stroke-width="${thickness}"/>`,
      `<text x="${x}" y="${y + size.height}" font-family="${FONT}" font-size="${fontPx.toFixed(2)}" fill="white">${escapeXml(text)}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  const { data, info } = await sharp(mask, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`drawLabels: expected 3 channels back from sharp, got ${info.channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Colours each class present in `map` (ids below the number of classes) with its palette colour,
 * optionally writes class names, and blends the whole mask over the image as MMSeg does:
 * uint8(image * (1 - alpha) + mask * alpha), so uncovered pixels darken too.
 */
export async function drawSemSeg(image: RgbImage, map: SemSegMap, classes: readonly string[], palette: Palette,
  alpha: number, withLabels: boolean): Promise<RgbImage> {
  if (image.channels !== 3) throw new RangeError(`drawSemSeg: expected an RGB image (3 channels), got ${image.channels}`);
  if (image.height !== map.height || image.width !== map.width) {
    throw new RangeError(`drawSemSeg: the label map is ${map.height}x${map.width} but the image is ${image.height}x${image.width}`);
  }
  const numClasses = classes.length;
  const present = new Set<number>();
  for (const v of map.data) if (v >= 0 && v < numClasses) present.add(v);
  // MMSeg walks the ids in descending order (np.unique(...)[::-1]).
  const labels = [...present].sort((a, b) => b - a);
  for (const label of labels) {
    const color = palette[label];
    if (!color || color.length !== 3) throw new RangeError(`drawSemSeg: the palette has no [r, g, b] colour for class ${label} (${classes[label]})`);
  }
  let mask: Uint8Array = new Uint8Array(image.data.length);
  map.data.forEach((v, p) => {
    if (v < 0 || v >= numClasses) return;
    const c = palette[v]!;
    mask[p * 3] = c[0];
    mask[p * 3 + 1] = c[1];
    mask[p * 3 + 2] = c[2];
  });
  if (withLabels && labels.length) mask = await drawLabels(mask, map, labels, classes, palette);
  const out = new Uint8Array(image.data.length);
  const keep = 1 - alpha;
  for (let i = 0; i < out.length; i++) out[i] = Math.trunc(image.data[i]! * keep + mask[i]! * alpha);
  return { data: out, height: image.height, width: image.width, channels: 3 };
}
