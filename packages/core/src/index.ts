export * from './ids.js';
export * from './errors.js';
export * from './definition/types.js';
export * from './ir/types.js';
export * from './content/ref.js';
export * from './content/canonical.js';
export * from './run/events.js';
export * from './run/messages.js';
