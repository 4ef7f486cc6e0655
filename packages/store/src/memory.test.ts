import { contentStoreConformance } from './conformance/content-store.js';
import { eventStoreConformance } from './conformance/index.js';
import { MemoryContentStore } from './memory-content.js';
import { MemoryEventStore } from './memory-events.js';

eventStoreConformance('MemoryEventStore', async () => new MemoryEventStore());
contentStoreConformance('MemoryContentStore', async () => new MemoryContentStore());
