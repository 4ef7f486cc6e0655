export { AobHttpClient } from './http-client.js';
export type {
  AobHttpClientOptions,
  CreatedToken,
  PatchCheck,
  Page,
  PageQuery,
  PatchRequest,
  StartRunRequest,
  TimelineMessage,
  TimelineOptions,
  TokenInfo,
  WhoAmI,
} from './http-client.js';
export {
  AobApiError,
  AobUnreachableError,
  apiErrorFrom,
  codeForStatus,
  unreachableFrom,
} from './errors.js';
export type { ApiProblem } from './errors.js';
export { SseParser, followSse } from './sse.js';
export type { SseEvent, SseFollowOptions } from './sse.js';
