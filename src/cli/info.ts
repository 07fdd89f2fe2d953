// `segkit info`: what this installation runs on (libtorch, threads, devices).
import type { Command } from 'commander';
import * as torch from '../torch/index.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the libtorch version, thread count and available devices')
    .action(() => {
      console.log(`libtorch ${torch.libtorchVersion()}`);
      console.log(`threads  ${torch.getNumThreads()}`);
      console.log(`cuda     ${torch.cuda.isAvailable() ? `${torch.cuda.deviceCount()} device(s)` : 'not available'}`);
    });
}
