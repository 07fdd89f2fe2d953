// Segmentation metrics (importing registers them in METRICS).
export { IoUMetric, iouMetricOptionsSchema, type IoUMetricOptions } from './iou-metric.js';
export { intersectAndUnion, sumAreas, totalAreaToMetrics, formatTable, type IouAreas, type IouMetricName } from './iou-areas.js';
export { encodeGrayPng, writeGrayPng } from './gray-png.js';
