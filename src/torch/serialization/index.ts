// PyTorch checkpoint interop: torch.save/torch.load formats read and written from TypeScript.
export { loadTorchFile, loadTorchBuffer, torchFormatOf, type TorchLoadOptions } from './torch-load.js';
export { saveTorchFile, torchSaveBuffer, torchSaveEntries } from './torch-save.js';
export { OrderedDict, PyTuple, tuple, PickleRecord, PyGlobalRef, NumpyArray } from './py-types.js';
export { UnsafePickleError } from './safe-globals.js';
export { UnpicklingError, unpickle } from './unpickler.js';
export { pickle, PyReduce, PyPersistent } from './pickler.js';
export { readZip, zipChunks, isZip, type ZipEntry } from './zip.js';
