// EmptyCacheHook: hands cached memory back (MMEngine's EmptyCacheHook), on CPU by trimming the malloc heap.
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook } from './hook.js';

const emptyCacheSchema = z.object({
  before_epoch: z.boolean().default(false),
  after_epoch: z.boolean().default(true),
  after_iter: z.boolean().default(false),
}).strict();

const MIB = 2 ** 20;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

/**
 * At the points chosen by the flags (every train/val/test epoch start or end, every iteration),
 * releases memory that is freed but still held by the process. libtorch's CPU allocator caches
 * nothing, so on CPU the memory to return is glibc's heap: malloc_trim, with the resident set
 * size before and after logged at DEBUG. CUDA's caching allocator has no binding in the native
 * addon yet (c10::cuda::CUDACachingAllocator::emptyCache); with a GPU the hook says so once
 * and still trims the host heap.
 */
export class EmptyCacheHook extends Hook {
  static override priority: number | string = 'NORMAL';

  readonly doBeforeEpoch: boolean;
  readonly doAfterEpoch: boolean;
  readonly doAfterIter: boolean;
  #warnedCuda = false;

  constructor(options: unknown = {}) {
    super();
    const opts = parseOptions(emptyCacheSchema, options);
    this.doBeforeEpoch = opts.before_epoch;
    this.doAfterEpoch = opts.after_epoch;
    this.doAfterIter = opts.after_iter;
  }

  /** Trims the heap and logs RSS before -> after at DEBUG; `where` names the hook point. */
  emptyCache(runner: Runner, where: string): void {
    if (!this.#warnedCuda && torch.cuda.isAvailable()) {
      this.#warnedCuda = true;
      runner.logger.warning('EmptyCacheHook: this build of segkit cannot empty the CUDA caching allocator '
        + '(no native binding for emptyCache yet); only the host heap is trimmed.');
    }
    const before = process.memoryUsage.rss();
    const released = torch.mallocTrim();
    const after = process.memoryUsage.rss();
    runner.logger.debug(`EmptyCacheHook: malloc_trim ${where}: RSS ${mib(before)} -> ${mib(after)}${released ? '' : ' (nothing to release)'}`);
  }

  #afterIter(runner: Runner, mode: string): void {
    if (this.doAfterIter) this.emptyCache(runner, `after ${mode} iter`);
  }
  #beforeEpoch(runner: Runner, mode: string): void {
    if (this.doBeforeEpoch) this.emptyCache(runner, `before ${mode} epoch`);
  }
  #afterEpoch(runner: Runner, mode: string): void {
    if (this.doAfterEpoch) this.emptyCache(runner, `after ${mode} epoch`);
  }

  override afterTrainIter(runner: Runner): void { this.#afterIter(runner, 'train'); }
  override afterValIter(runner: Runner): void { this.#afterIter(runner, 'val'); }
  override afterTestIter(runner: Runner): void { this.#afterIter(runner, 'test'); }
  override beforeTrainEpoch(runner: Runner): void { this.#beforeEpoch(runner, 'train'); }
  override beforeValEpoch(runner: Runner): void { this.#beforeEpoch(runner, 'val'); }
  override beforeTestEpoch(runner: Runner): void { this.#beforeEpoch(runner, 'test'); }
  override afterTrainEpoch(runner: Runner): void { this.#afterEpoch(runner, 'train'); }
  override afterValEpoch(runner: Runner): void { this.#afterEpoch(runner, 'val'); }
  override afterTestEpoch(runner: Runner): void { this.#afterEpoch(runner, 'test'); }
}

HOOKS.register(EmptyCacheHook);
