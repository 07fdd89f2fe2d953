// Test models rebuilt from reference rows (dotted parameter name + shape), with meta tensors so size costs nothing.
//
// Each module path becomes a module: weight+bias of one shape -> LayerNorm (BatchNorm2d when
// the name says bn), a 4-d weight -> Conv2d (depthwise when the name says so), a 2-d weight
// -> Linear; anything else -> a plain module holding the parameters. Children appear in the
// order the rows first name them, numbered children in numeric order, so named parameters
// come out in the real model's order when the rows list each group in model order.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { empty } from '../../../../torch/index.js';
import { BatchNorm2d, Conv2d, LayerNorm, Linear, Module } from '../../../../torch/nn/index.js';

export interface ReferenceRow {
  name: string;
  shape: number[];
}

const META = { device: 'meta' } as const;

/** ../shared/reference beside the repository (SEGKIT_REFERENCE_DIR overrides). */
export const REFERENCE_DIR = process.env.SEGKIT_REFERENCE_DIR
  ?? fileURLToPath(new URL('../../../../../../../shared/reference/', import.meta.url));

/** A reference file's parsed JSON, or null when the shared folder is not there. */
export function readReference<T>(file: string): T | null {
  const path = `${REFERENCE_DIR}${REFERENCE_DIR.endsWith('/') ? '' : '/'}${file}`;
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as T : null;
}

/** A module that only holds what it is given (parameters and children). */
export class Holder extends Module {
  forward(): never {
    throw new Error(`${this.className}: a reference-model placeholder has no forward`);
  }
}

interface Node {
  params: Map<string, number[]>;
  children: Map<string, Node>;
}

const newNode = (): Node => ({ params: new Map(), children: new Map() });

function leafModule(localName: string, params: Map<string, number[]>): Module | null {
  const names = [...params.keys()].sort().join(',');
  if (names !== 'bias,weight' && names !== 'weight') return null;
  const w = params.get('weight')!;
  const bias = params.has('bias');
  if (w.length === 1 && bias && params.get('bias')![0] === w[0]) {
    return /(^|_)bn\d*$|batchnorm/i.test(localName) ? new BatchNorm2d(w[0]!, META) : new LayerNorm(w[0]!, META);
  }
  if (w.length === 4) {
    const depthwise = /depthwise|dwconv/i.test(localName) && w[1] === 1;
    const groups = depthwise ? w[0]! : 1;
    return new Conv2d(w[1]! * groups, w[0]!, [w[2]!, w[3]!], { groups, bias, ...META });
  }
  if (w.length === 2) return new Linear(w[1]!, w[0]!, { bias, ...META });
  return null;
}

/** A Holder subclass whose class name is `name` (constructors may look at model.backbone's class name). */
function holderClass(name: string): typeof Holder {
  return ({ [name]: class extends Holder {} })[name]!;
}

function materialise(node: Node, path: string, classNames: Record<string, string>): Module {
  const localName = path.split('.').pop()!;
  if (node.children.size === 0 && classNames[path] === undefined) {
    const leaf = leafModule(localName, node.params);
    if (leaf) return leaf;
  }
  const m = new (classNames[path] ? holderClass(classNames[path]!) : Holder)();
  for (const [name, shape] of node.params) m.registerParameter(name, empty(shape, META));
  const entries = [...node.children];
  if (entries.every(([n]) => /^\d+$/.test(n))) entries.sort(([a], [b]) => Number(a) - Number(b));
  for (const [name, child] of entries) m.registerModule(name, materialise(child, path ? `${path}.${name}` : name, classNames));
  return m;
}

/**
 * Builds the model; `classNames` gives some module paths a class name (e.g.
 * { backbone: 'ConvNeXt' }) for constructors that look at it.
 */
export function buildReferenceModel(rows: readonly ReferenceRow[], classNames: Record<string, string> = {}): Module {
  const root = newNode();
  for (const { name, shape } of rows) {
    const parts = name.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = newNode()));
      node = next;
    }
    node.params.set(parts[parts.length - 1]!, shape);
  }
  return materialise(root, '', classNames);
}
