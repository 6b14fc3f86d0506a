/**
 * The engine has one door: eslint.config.js fails an import of the engine's internals
 * (engine/kernels/*, engine/native.ts, …) from src outside src/engine, static or dynamic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const cwd = fileURLToPath(new URL('..', import.meta.url));

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd }).lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

test('src outside src/engine imports only engine/index.ts', async () => {
  const at = (file: string) => `${cwd}src/${file}`;
  assert.deepEqual(
    await ruleIds(
      "import { nativeAddon } from '../engine/native.js';\nnativeAddon();\n",
      at('training/x.ts'),
    ),
    ['no-restricted-imports'],
  );
  assert.deepEqual(
    await ruleIds("export { sparseAddon } from '../engine/kernels/sparse.js';\n", at('models/x.ts')),
    ['no-restricted-imports'],
  );
  assert.deepEqual(await ruleIds("await import('../engine/kernels/sparse-engine.js');\n", at('bench/x.ts')), [
    'no-restricted-syntax',
  ]);
  assert.deepEqual(
    await ruleIds("import { tf } from '../engine/index.js';\ntf.tidy(() => 0);\n", at('training/x.ts')),
    [],
  );
  // Inside the engine its modules import each other.
  assert.deepEqual(
    await ruleIds("import { nativeAddon } from '../native.js';\nnativeAddon();\n", at('engine/kernels/x.ts')),
    [],
  );
});
