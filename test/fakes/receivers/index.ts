// Local receivers that behave like the real services, for unit and end-to-end tests and the demo.
export * from './common.js';
export * from './slack.js';
export * from './pagerduty.js';
export * from './alertmanager.js';
export * from './webhook.js';
