// Turns the config's HTTP client settings (auth, headers, TLS) into axios
// options. Shared by the Prometheus source and the Alertmanager sink.
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';

export interface HttpClientSettings {
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly bearerToken?: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
    readonly serverName?: string;
    readonly insecureSkipVerify?: boolean;
  };
  readonly maxResponseBytes?: number;
}

export interface AxiosBase {
  headers: Record<string, string>;
  timeout: number;
  httpsAgent?: HttpsAgent;
  maxContentLength?: number;
  maxBodyLength?: number;
}

export function axiosBase(s: HttpClientSettings): AxiosBase {
  const headers: Record<string, string> = { ...(s.headers ?? {}) };
  if (s.bearerToken) headers.Authorization = `Bearer ${s.bearerToken}`;
  else if (s.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${s.basicAuth.username}:${s.basicAuth.password}`).toString('base64')}`;
  const base: AxiosBase = { headers, timeout: s.timeoutMs };
  if (s.tls) {
    base.httpsAgent = new HttpsAgent({
      ...(s.tls.caFile ? { ca: readFileSync(s.tls.caFile) } : {}),
      ...(s.tls.certFile ? { cert: readFileSync(s.tls.certFile) } : {}),
      ...(s.tls.keyFile ? { key: readFileSync(s.tls.keyFile) } : {}),
      ...(s.tls.serverName ? { servername: s.tls.serverName } : {}),
      rejectUnauthorized: !s.tls.insecureSkipVerify,
      keepAlive: true,
    });
  }
  if (s.maxResponseBytes) {
    base.maxContentLength = s.maxResponseBytes;
    base.maxBodyLength = s.maxResponseBytes;
  }
  return base;
}
