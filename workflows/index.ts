// The workflow bundle's entry point.
export { incident } from './incident.ts';
export { watch } from './watch.ts';
export { notification } from './notification.ts';
export { readiness } from './readiness.ts';
