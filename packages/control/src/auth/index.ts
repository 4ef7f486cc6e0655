export * from './roles.js';
export * from './tokens.js';
export * from './operations.js';
