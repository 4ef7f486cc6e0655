import { attemptLedgerConformance } from './conformance/attempt-ledger.js';
import { MemoryAttemptLedger } from './memory-attempts.js';

attemptLedgerConformance('memory', async (now) => new MemoryAttemptLedger(now));
