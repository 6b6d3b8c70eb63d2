// Public surface of the e2e harness.
export * from './ports.js';
export * from './process.js';
export * from './wait.js';
export * from './backend-server.js';
export * from './haproxy.js';
export * from './haproxy-runtime.js';
export * from './prometheus.js';
export * from './alertmanager.js';
export * from './load.js';
export * from './timeline.js';
export * from './fleet.js';
export * from './tmp.js';
export { registeredPids, isAlive, killAllSync } from './registry.js';
