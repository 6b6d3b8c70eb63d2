// Reusable zod field types with messages that say what is expected.
import { z } from 'zod';
import { parseDuration, parseSize } from './units.js';

/** A duration ("15s", "1m30s", "500ms"); parsed to milliseconds. */
// The union's own error replaces zod's bare "Invalid input" for wrong types (interval: true).
const durationInput = z.union([z.string(), z.number()], {
  error: (iss) => `expected a duration such as 15s, 1m or 1h30m${iss.input === undefined ? '' : `, got ${JSON.stringify(iss.input)}`}`,
});
export const duration = durationInput.transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 15s, 1m or 1h30m, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

export const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration greater than 0' });

/** A byte size ("64MiB", "10MB", or a number of bytes). */
const sizeInput = z.union([z.string(), z.number()], {
  error: (iss) => `expected a size such as 64MiB or 10MB${iss.input === undefined ? '' : `, got ${JSON.stringify(iss.input)}`}`,
});
export const size = sizeInput.transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 64MiB or 10MB, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return bytes;
});

/** A regular expression, anchored like Prometheus matchers (whole value must match). */
export const regex = z.string().transform((v, ctx) => {
  try {
    new RegExp(`^(?:${v})$`);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `expected a valid regular expression: ${(e as Error).message}` });
    return z.NEVER;
  }
  return v;
});

export const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  },
  // The value may be a secret (a webhook URL): never echo it.
  { message: 'expected an http:// or https:// URL' },
);

export const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)');

export const tls = z.strictObject({
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().default(false),
});

export const basicAuth = z
  .strictObject({
    username: z.string().min(1),
    password: z.string().optional(),
    password_file: z.string().optional(),
  })
  .refine((a) => (a.password === undefined) !== (a.password_file === undefined), {
    message: 'set exactly one of password or password_file',
  });

/** Shared HTTP client settings for Prometheus, scrape targets and Alertmanager. */
export const httpClient = {
  timeout: positiveDuration.optional(),
  headers: z.record(z.string(), z.string()).default({}),
  bearer_token: z.string().optional(),
  bearer_token_file: z.string().optional(),
  basic_auth: basicAuth.optional(),
  tls: tls.optional(),
};
