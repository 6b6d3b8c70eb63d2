// Alerting rules: which statistic fires, with hysteresis, `for`,
// `keep_firing_for`, per-pool matchers and overrides. Rule files live in
// alerts/ and are validated by the same schema as inline rules.
import { z } from 'zod';
import { duration, labelName, regex } from './fields.js';
import { RULE_STATS, REASON_CODES, type InhibitRule as CoreInhibitRule, type RuleConfig as CoreRuleConfig, type RuleCondition as CoreRuleCondition } from '../core/alerting/rule.js';

export { RULE_STATS, REASON_CODES, type RuleStat } from '../core/alerting/rule.js';

export const SINK_KINDS = ['slack', 'pagerduty', 'alertmanager'] as const;
/** A sink reference: slack, pagerduty, alertmanager, or webhook:<name>. */
const sinkRef = z.string().regex(/^(slack|pagerduty|alertmanager|webhook:[A-Za-z0-9_-]+)$/, 'expected one of slack, pagerduty, alertmanager or webhook:<name>');

const condition = z
  .strictObject({
    stat: z.enum(RULE_STATS),
    above: z.number().optional(),
    below: z.number().optional(),
    /** Hysteresis: once active, the rule holds until the value falls below this. */
    resolve_below: z.number().optional(),
    /** Hysteresis for `below` rules. */
    resolve_above: z.number().optional(),
    /** Only when the G-test says the skew is significant (default true for share statistics). */
    require_significant: z.boolean().optional(),
    /** Only when the verdict carries at least one of these reasons. */
    any_reason: z.array(z.enum(REASON_CODES)).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.above === undefined) === (c.below === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of above or below' });
    }
    if (c.resolve_below !== undefined && (c.above === undefined || c.resolve_below > c.above)) {
      ctx.addIssue({ code: 'custom', path: ['resolve_below'], message: 'resolve_below goes with above and must be <= above' });
    }
    if (c.resolve_above !== undefined && (c.below === undefined || c.resolve_above < c.below)) {
      ctx.addIssue({ code: 'custom', path: ['resolve_above'], message: 'resolve_above goes with below and must be >= below' });
    }
  });
export type RuleCondition = z.output<typeof condition>;
// The schema must produce what the core evaluates (compile-time check).
true satisfies (RuleCondition extends CoreRuleCondition ? true : false);

const overridable = {
  when: condition.optional(),
  for: duration.optional(),
  keep_firing_for: duration.optional(),
  min_rate: z.number().nonnegative().optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  sinks: z.array(sinkRef).optional(),
  repeat_interval: duration.optional(),
};

const override = z.strictObject({
  match: z.record(z.string(), regex),
  ...overridable,
});

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'expected an identifier (letters, digits, _ . -), starting with a letter'),
  /** Alert name shown to people and used as Alertmanager's alertname (default: id). */
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  when: condition,
  for: duration.default(0),
  keep_firing_for: duration.default(0),
  min_rate: z.number().nonnegative().default(0),
  severity: z.enum(['info', 'warning', 'critical']),
  sinks: z.array(sinkRef).min(1, 'a rule needs at least one sink'),
  /** Label regexes a pool must match (`pool` is the pool id; other keys are pool labels). */
  match: z.record(z.string(), regex).default({}),
  repeat_interval: duration.default(4 * 3_600_000),
  annotations: z.record(z.string(), z.string()).default({}),
  overrides: z.array(override).default([]),
});
export type RuleConfig = z.output<typeof ruleSchema>;
true satisfies (RuleConfig extends CoreRuleConfig ? true : false);
export type RuleOverride = z.output<typeof override>;

/**
 * Alertmanager's inhibit_rules (docs/rules.md#inhibition), with matchers
 * written like a rule's `match`: label -> whole-value regex. Both sides need
 * a matcher: an empty side would match every alert, so one firing alert
 * could mute every other.
 */
export const inhibitRuleSchema = z.strictObject({
  source_match: z.record(labelName, regex).refine((m) => Object.keys(m).length > 0, {
    message: 'needs at least one matcher, e.g. { severity: critical }: an empty one would let any firing alert inhibit',
  }),
  target_match: z.record(labelName, regex).refine((m) => Object.keys(m).length > 0, {
    message: 'needs at least one matcher, e.g. { alertname: TrafficSkew }: an empty one would mute every alert',
  }),
  /** Labels that must have the same value on source and target, e.g. [pool]. */
  equal: z.array(labelName).default([]),
});
export type InhibitRule = z.output<typeof inhibitRuleSchema>;
true satisfies (InhibitRule extends CoreInhibitRule ? true : false);

export const ruleFileSchema = z.strictObject({
  rules: z.array(ruleSchema),
  inhibit_rules: z.array(inhibitRuleSchema).default([]),
});
