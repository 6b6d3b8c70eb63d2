// The delivery half of alerting: notifications, the Notifier interface, the
// four integrations and the durable outbox.
export type { Notification, NotificationKind, NotificationSeverity } from '../core/alerting/notification.js';
export { notificationProblem, ruleTitle } from '../core/alerting/notification.js';
export type { Notifier, SendResult, SendFailure, RateLimit } from './notifier.js';
export { classifyResponse, classifyError, parseRetryAfter, isRetryableStatus, postJson } from './http.js';
export type { HttpOutcome, ClassifyOptions } from './http.js';
export { SlackNotifier, SLACK_DEFAULT_RATE_LIMIT, type SlackOptions } from './slack.js';
export { renderSlackMessage, allBlocks, SLACK_LIMITS, type SlackMessage, type SlackRenderOptions } from './slack-message.js';
export { PagerDutyNotifier, renderPagerDutyEvent, PAGERDUTY_URLS, PAGERDUTY_LIMITS, PAGERDUTY_DEFAULT_RATE_LIMIT, type PagerDutyOptions, type PagerDutyEvent } from './pagerduty.js';
export { AlertmanagerNotifier, renderAlertmanagerAlerts, DEDUP_LABEL, type AlertmanagerOptions, type PostableAlert } from './alertmanager.js';
export { WebhookNotifier, type WebhookOptions, type WebhookEnvelope } from './webhook.js';
export { Outbox, DEFAULT_MAX_BYTES, DEFAULT_SINK_CONCURRENCY, MAX_SENDS_PER_ROUND } from './outbox.js';
export { compactVerdict, selectListed, DEFAULT_LISTED_BACKENDS, type VerdictListing } from './compact-verdict.js';
export type { OutboxEntry, OutboxState, DoneRecord, DeliveryOutcome, DeliveryResult, DeliverySummary, OutboxOptions, EnqueueResult } from './outbox.js';
export { backoffDelay, TokenBucket, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export { DeliveryLoop, type DeliveryLoopOptions } from './dispatcher.js';
