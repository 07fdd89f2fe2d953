// torch.nn.utils: helpers over parameters and their gradients.
export { clipGradNorm_, clipGradValue_ } from './clip-grad.js';
