// Test support for the seg CLI commands: a tiny dataset + checkpoint + config on disk, and an in-process command runner.
import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyConfig, writeTinyCheckpoint, writeTinyData } from '../seg/testing/tiny-seg.js';

const FIXTURE = fileURLToPath(new URL('../seg/testing/tiny-seg.js', import.meta.url));

/** `n` tiny images with labels, a checkpoint with identity weights and a JSON config importing the fixture. */
export async function tinyProject(n: number, over: Record<string, unknown> = {}): Promise<{ dir: string; images: string[]; ckpt: string; config: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-segcli-'));
  const images = await writeTinyData(join(dir, 'data'), n);
  const ckpt = join(dir, 'tiny.ckpt');
  writeTinyCheckpoint(ckpt);
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ ...tinyConfig(join(dir, 'data'), FIXTURE), ...over }));
  return { dir, images, ckpt, config };
}

/** Runs `segkit <args>` in this process with only `register`'s command, returning what it printed with console.log. */
export async function runCommand(register: (program: Command) => void, args: string[]): Promise<string> {
  const program = new Command('segkit').exitOverride();
  register(program);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => { lines.push(parts.map(String).join(' ')); };
  try {
    await program.parseAsync(['node', 'segkit', ...args]);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}
