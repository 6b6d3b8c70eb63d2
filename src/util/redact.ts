// Secrets (webhook URLs, routing keys, tokens) must never reach logs, errors
// or metrics. Two layers: structured log paths are censored by pino's redact
// option, and free text passes through redactText(), which masks every
// registered secret value plus URL credentials and known token shapes.

const registered = new Set<string>();

/** Remember a secret value so that redactText() masks it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) registered.add(value);
}

/** Query-string keys whose values are credentials (`?token=`, `?api_key=`, `?sig=`). */
const SECRET_QUERY_KEY = /(token|key|secret|sig|signature|auth|pass|password|code|credential)/i;

/**
 * A path segment that looks like a generated token (Slack's webhook token,
 * Discord's, a random id): 16+ URL-safe characters mixing letters and digits.
 * A plain word such as "skewwatch" or "alerts" is not one.
 */
function looksLikeToken(segment: string): boolean {
  return segment.length >= 16 && /^[A-Za-z0-9_.~-]+$/.test(segment) && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment);
}

/**
 * Registers the secret parts of a webhook-style URL, and only those: the
 * whole URL, the userinfo, query values under credential-like keys, Slack's
 * path after /services/ (team, bot and token segments), and path segments
 * that look like generated tokens. Ordinary path words are left alone, so a
 * URL ending in /skewwatch does not turn every "skewwatch" in the logs into
 * [REDACTED].
 */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  registerSecret(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return;
  }
  if (u.username) registerSecret(decodeURIComponent(u.username));
  if (u.password) registerSecret(decodeURIComponent(u.password));
  for (const [k, v] of u.searchParams) if (SECRET_QUERY_KEY.test(k)) registerSecret(v);
  const segments = u.pathname.split('/').filter(Boolean);
  const services = segments.indexOf('services');
  if (services >= 0 && services < segments.length - 1) {
    const tail = segments.slice(services + 1);
    registerSecret(tail.join('/'));
    for (const s of tail) registerSecret(s);
  }
  for (const s of segments) if (looksLikeToken(s)) registerSecret(s);
}

export function clearRegisteredSecrets(): void {
  registered.clear();
}

const PATTERNS: RegExp[] = [
  /https:\/\/hooks\.slack\.com\/[^\s"'<>]+/g,
  /(?<=:\/\/)[^/\s:@]+:[^/\s@]+(?=@)/g, // user:password@ in URLs
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g,
  /\b(routing_key|routingKey|token|password|apiKey)(["']?\s*[:=]\s*["']?)[^"'\s,}]+/g,
];

export function redactText(text: string): string {
  let out = text;
  // Longest first: a short secret inside a longer one (a Slack team id inside
  // a routing key) must not break the longer one's match and leave its ends visible.
  for (const secret of [...registered].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  out = out.replace(PATTERNS[0]!, '[REDACTED]');
  out = out.replace(PATTERNS[1]!, '[REDACTED]');
  out = out.replace(PATTERNS[2]!, '$1 [REDACTED]');
  out = out.replace(PATTERNS[3]!, '$1$2[REDACTED]');
  return out;
}

/** Paths pino censors in structured log objects. */
export const REDACT_PATHS = [
  '*.webhookUrl',
  '*.webhook_url',
  '*.routingKey',
  '*.routing_key',
  '*.token',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];
