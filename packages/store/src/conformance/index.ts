// The store conformance suites, one per port (vitest). A store written outside this repository
// runs the suites of the ports it implements from its own test file:
//   import { runLogConformance } from '@aob/store/conformance';
//   runLogConformance('MyStore', async () => MyStore.open(freshDatabase()));
// `make` returns a fresh, empty store each time; the suite closes what it makes.
import type { EventStore } from '../port.js';
import { draftStoreConformance } from './drafts.js';
import { leaseInboxConformance } from './leases.js';
import { namespaceBudgetConformance } from './namespace-budgets.js';
import { runLogConformance } from './run-log.js';
import { scheduleStoreConformance } from './schedules.js';
import { tokenStoreConformance } from './tokens.js';
import { workflowPatchStoreConformance } from './workflow-patches.js';
import { workflowRegistryConformance } from './workflow-registry.js';

export { attemptLedgerConformance } from './attempt-ledger.js';
export { contentStoreConformance } from './content-store.js';
export {
  draftStoreConformance,
  leaseInboxConformance,
  namespaceBudgetConformance,
  runLogConformance,
  scheduleStoreConformance,
  tokenStoreConformance,
  workflowPatchStoreConformance,
  workflowRegistryConformance,
};

/** Every suite a local-topology store (EventStore) must pass. */
export function eventStoreConformance(name: string, make: () => Promise<EventStore>): void {
  runLogConformance(name, make);
  workflowRegistryConformance(name, make);
  workflowPatchStoreConformance(name, make);
  tokenStoreConformance(name, make);
  namespaceBudgetConformance(name, make);
  draftStoreConformance(name, make);
  scheduleStoreConformance(name, make);
  leaseInboxConformance(name, make);
}
