/**
 * `npm run bench [area…]`: runs every benchmark module in this folder (or the named ones) in one
 * process, one after the other. Each module prints its figures as ratios against a baseline it
 * measures in the same run; nothing here asserts a timing.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'index.js' && !f.endsWith('.test.js'))
  .map((f) => f.slice(0, -3))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

for (const name of names) {
  process.stdout.write(`\n## bench: ${name}\n`);
  const mod = (await import(pathToFileURL(`${here}/${name}.js`).href)) as BenchModule;
  await mod.run();
}
