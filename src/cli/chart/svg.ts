// Small helpers for writing SVG text by hand: escaping, coordinates, elements.

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Pixel coordinates with two decimals: enough for anti-aliasing, short enough for big paths. */
export const px = (v: number): string => String(Math.round(v * 100) / 100);

/** `<name a="1" b="x">` (or self-closing without children); attributes with undefined values are left out. */
export function element(name: string, attrs: Record<string, string | number | undefined>, children?: string): string {
  const text = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? px(v) : escapeXml(v!)}"`)
    .join('');
  return children === undefined ? `<${name}${text}/>` : `<${name}${text}>${children}</${name}>`;
}

/** Text width estimate for layout: DejaVu/Liberation Sans average about 0.6 em per character. */
export const textWidth = (text: string, fontSize: number): number => text.length * fontSize * 0.6;
