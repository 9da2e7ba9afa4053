/**
 * docs/clients.md shows the examples' own code: each block marked `<!-- example: path -->` must appear, line by
 * line and in order, in that file (a `// ...` line stands for lines left out). The examples themselves run against
 * a started gateway in test/e2e/client-caches.test.ts and test/e2e/clients.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface MarkedBlock {
  readonly path: string;
  readonly lines: readonly string[];
}

function markedBlocks(markdown: string): MarkedBlock[] {
  const blocks: MarkedBlock[] = [];
  const pattern = /<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(pattern)) {
    const [, path, body] = match;
    if (path === undefined || body === undefined) continue;
    blocks.push({
      path,
      lines: body
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && line !== '// ...'),
    });
  }
  return blocks;
}

/** The block's lines that are not found, in order, among the file's lines. */
function missingLines(block: readonly string[], file: string): string[] {
  const fileLines = file.split('\n').map((line) => line.trim());
  const missing: string[] = [];
  let from = 0;
  for (const line of block) {
    const at = fileLines.indexOf(line, from);
    if (at === -1) missing.push(line);
    else from = at + 1;
  }
  return missing;
}

describe('docs/clients.md', () => {
  it('shows exactly the code the examples run', async () => {
    const guide = await readFile(`${ROOT}docs/clients.md`, 'utf8');
    const blocks = markedBlocks(guide);
    expect(blocks.map((block) => block.path)).toEqual([
      'examples/apollo-client.ts',
      'examples/apollo-client.ts',
      'examples/urql.ts',
      'codegen.yml',
    ]);
    for (const block of blocks) {
      expect(missingLines(block.lines, await readFile(`${ROOT}${block.path}`, 'utf8')), block.path).toEqual([]);
    }
    // The check finds a drifted line.
    expect(
      missingLines(
        ['cache: new InMemoryCache({ typePolicies: {} }),'],
        await readFile(`${ROOT}examples/apollo-client.ts`, 'utf8'),
      ),
    ).toHaveLength(1);
  });
});
