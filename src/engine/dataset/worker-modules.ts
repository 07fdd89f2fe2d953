// Modules that data-loader workers import before building a dataset: the ones that register
// datasets and transforms (a worker has its own registries). Libraries add themselves
// (`addWorkerModule(import.meta.url)` in src/seg/datasets), configs through custom_imports.
const modules = new Set<string>();

export function addWorkerModule(url: string): void {
  modules.add(url);
}

/** The registered module URLs, in registration order. */
export function workerModules(): string[] {
  return [...modules];
}
