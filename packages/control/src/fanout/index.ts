// Live timelines (ARCHITECTURE §7 fanout): history from the store, then live, over SSE.
export { Fanout, RunChannel } from './hub.js';
export { startBusFanout } from './bus-fanout.js';
export type { FanoutOptions } from './hub.js';
export {
  BusDeltaSource,
  BusLiveSource,
  ListenerDeltaSource,
  ListenerLiveSource,
  isNodeDelta,
  isRunEvent,
} from './live-source.js';
export type { BusLiveSourceOptions } from './live-source.js';
export { TimelineStreams, timelineTarget } from './sse.js';
export type { SseOptions, TimelineProblem } from './sse.js';
export { listenTimelines, timelineRequestListener } from './server.js';
export type { Authenticate } from './server.js';
export { encodeCursor, parseCursor } from './cursor.js';
export * from './types.js';
