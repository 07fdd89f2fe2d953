// Finds the array buffers in a sample or batch so a worker can move them to the main thread without copying.
import * as workerThreads from 'node:worker_threads';

// Node >= 21 can say whether a buffer is marked untransferable (Buffer's shared pool is).
const isMarkedAsUntransferable = (workerThreads as { isMarkedAsUntransferable?: (v: object) => boolean }).isMarkedAsUntransferable;

function canTransfer(view: ArrayBufferView, buffer: ArrayBuffer): boolean {
  if (isMarkedAsUntransferable?.(buffer)) return false;
  // A Buffer that is a slice of a bigger allocation may sit in Node's shared pool.
  if (Buffer.isBuffer(view) && (view.byteOffset !== 0 || view.byteLength !== buffer.byteLength)) return false;
  return buffer.byteLength > 0;
}

/**
 * The distinct ArrayBuffers under the typed arrays of `value` (walking lists and objects).
 * SharedArrayBuffers are left out: they are shared, not moved. After posting with this
 * transfer list the sender's arrays are empty, so a transform must not keep (cache) arrays it
 * returns.
 */
export function collectTransferables(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && canTransfer(v, v.buffer)) found.add(v.buffer);
    } else if (v instanceof ArrayBuffer) {
      if (v.byteLength > 0 && !isMarkedAsUntransferable?.(v)) found.add(v);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x);
    } else if (v instanceof Map) {
      for (const x of v.values()) walk(x);
    } else {
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(value);
  return [...found];
}
