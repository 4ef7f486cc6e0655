import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests run against TypeScript sources: every @aob/* package resolves to its src/index.ts.
const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const alias = {
  '@aob/core': src('./packages/core/src/index.ts'),
  '@aob/client': src('./packages/client/src/index.ts'),
  '@aob/bus': src('./packages/bus/src/index.ts'),
  '@aob/store/conformance': src('./packages/store/src/conformance/index.ts'),
  '@aob/store': src('./packages/store/src/index.ts'),
  '@aob/engine': src('./packages/engine/src/index.ts'),
  '@aob/control': src('./packages/control/src/index.ts'),
  '@aob/optimizer': src('./packages/optimizer/src/index.ts'),
  '@aob/service-orchestrator': src('./services/orchestrator/src/index.ts'),
  '@aob/service-runner': src('./services/runner/src/index.ts'),
  '@aob/service-api': src('./services/api/src/index.ts'),
  '@aob/service-fanout': src('./services/fanout/src/index.ts'),
  '@aob/service-hitl': src('./services/hitl/src/index.ts'),
  '@aob/service-validator': src('./services/validator/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'cli/src/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/*.e2e.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/src/**/*.int.test.ts', 'scripts/**/*.int.test.ts'],
          // Starts Kafka, an S3 server, … (scripts/services/*.service.ts) unless given by env.
          globalSetup: ['scripts/services/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The tests' own imports (clients of the services they spawn) resolve to sources too.
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['cli/test/**/*.e2e.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // e2e files share one machine's two cores with the binaries they spawn.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
