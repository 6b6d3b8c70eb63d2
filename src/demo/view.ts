// The demo's terminal view: the pure live-view renderer (view-render.ts), the
// writer that redraws it on a TTY or prints compact lines otherwise
// (view-writer.ts), and the end-of-run timeline (timeline.ts).

export * from './view-types.js';
export {
  VIEW_TITLE,
  renderView,
  shareBar,
  formatSeconds,
  visibleLength,
  truncate,
  painter,
  type Paint,
} from './view-render.js';
export { renderTimeline, leadTime, describeLeadTime, type TimelineOptions, type LeadTime } from './timeline.js';
export { createViewWriter, compactLine, type ViewWriter, type ViewWriterOptions } from './view-writer.js';
export { fleetViewBackends, modelEvents } from './view-fleet.js';
