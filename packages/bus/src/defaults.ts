// Defaults of the bus port (documented in port.ts), shared by every adapter.
export const DEFAULT_REDELIVER_AFTER_MS = 30_000;
export const DEFAULT_READ_COUNT = 100;
export const DEFAULT_FAIRNESS = 8;
