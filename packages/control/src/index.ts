// The HTTP client of the REST API (the CLI's server mode, scripts).
export * from './client/index.js';
// Live timelines over SSE (the API's timeline routes and the fanout service).
export * from './fanout/index.js';
