// Visualization: the Visualizer, its backends (local files, TensorBoard) and the image type they share.
export { type RgbImage, checkRgbImage, cloneRgbImage, encodePng, decodeImage } from './image.js';
export { pythonJsonDumps, pythonNumber, isItemLike, type ItemLike } from './python-json.js';
export { BaseVisBackend, configToDict, configToText, type ConfigLike, type ScalarValue } from './vis-backend.js';
export { LocalVisBackend, localVisBackendOptionsSchema, type LocalVisBackendOptions } from './local-vis-backend.js';
export { TensorboardVisBackend, tensorboardVisBackendOptionsSchema, type TensorboardVisBackendOptions } from './tensorboard-vis-backend.js';
export { EventFileWriter } from './tensorboard/event-file-writer.js';
export { maskedCrc32c, frameRecord } from './tensorboard/tfrecord.js';
export { Visualizer, visualizerOptionsSchema, type VisualizerOptions, type AddDatasampleOptions } from './visualizer.js';
