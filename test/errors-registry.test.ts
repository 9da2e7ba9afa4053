import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../src/errors.js';

// The fastify habit: the documented error table and the exported codes are one list, checked by a test.
describe('error codes', () => {
  it('are exactly the codes in the README error table and the purchase errors table of docs/operations.md', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const operations = await readFile(new URL('../docs/operations.md', import.meta.url), 'utf8');
    const section = readme.split('### API and errors')[1]?.split('\n## ')[0] ?? '';
    const purchaseErrors = operations.split('### Purchase errors')[1]?.split('\n#')[0] ?? '';
    const documented = [...`${section}\n${purchaseErrors}`.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('are upper-case and unique', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z][A-Z_]+$/);
  });
});
