// A small dependency-free line-chart renderer (SVG, and PNG through sharp) for segkit's plotting commands.
export { renderFigureSvg, figureSize, decimate, PALETTE, FONT_FAMILY, type Figure, type Panel, type Series } from './line-chart.js';
export { saveFigure, chartFormat, parsePixels, type SavedChart } from './save.js';
export { linearScale, logScale, niceStep, tickFormatter, type Scale } from './scale.js';
