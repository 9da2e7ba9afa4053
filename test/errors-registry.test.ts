import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';

// The fastify habit: the documented error table and the exported codes are one list, checked by a test.
describe('error codes', () => {
  it('are exactly the codes in the error table of docs/design.md', async () => {
    const design = await readFile(new URL('../docs/design.md', import.meta.url), 'utf8');
    const section = design.split('\n## API and errors')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('are upper-case and unique', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z][A-Z_]+$/);
  });
});
