// The workflow bundle's entry point.
export { incident } from './incident.ts';
