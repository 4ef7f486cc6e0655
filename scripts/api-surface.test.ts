// The recorded public surfaces of @aob/client and @aob/core. After a deliberate change:
// `AOB_API_UPDATE=1 npx vitest run scripts/api-surface.test.ts`, and review the diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiSurface } from './api-surface.js';

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

describe('public API surfaces', () => {
  for (const pkg of ['client', 'core']) {
    it(`@aob/${pkg} exports what packages/${pkg}/api-surface.txt records`, () => {
      const file = root(`packages/${pkg}/api-surface.txt`);
      const now = apiSurface(root(`packages/${pkg}/src/index.ts`));
      if (process.env.AOB_API_UPDATE === '1') writeFileSync(file, now);
      expect(now.split('\n').length).toBeGreaterThan(20);
      expect(now, `the surface changed; record it again (see ${file})`).toBe(
        readFileSync(file, 'utf8'),
      );
    }, 60_000);
  }
});
