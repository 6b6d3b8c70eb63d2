// Secrets (webhook URLs, routing keys, tokens) must never reach logs, errors
// or metrics. Two layers: structured log paths are censored by pino's redact
// option, and free text passes through redactText(), which masks every
// registered secret value plus URL credentials and known token shapes.

const registered = new Set<string>();

/** Remember a secret value so that redactText() masks it wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) registered.add(value);
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
  for (const secret of registered) {
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
