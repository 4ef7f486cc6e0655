// The HTTP client of the REST API (the CLI's server mode, scripts).
export * from './client/index.js';
