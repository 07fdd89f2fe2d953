// Weight initialisation as MMEngine: init_cfg initialisers, Pretrained loading and BaseModule.init_weights.
export * from './weight-init.js';
export * from './initialize.js';
export * from './pretrained.js';
export * from './base-module.js';
