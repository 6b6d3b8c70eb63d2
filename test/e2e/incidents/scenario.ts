// One incident scenario on real components: a fleet (backends, HAProxy,
// Prometheus, Alertmanager), skewwatch, a load generator, and a timeline of
// what users, skewwatch and the sinks saw, written to test-results/e2e/.
import { join } from 'node:path';
import { startFleet, startLoad, Timeline, type Fleet, type FleetOptions, type LoadRun, type LoadOptions } from '../harness/index.js';
import { startSkewwatch, type Skewwatch } from './skewwatch.js';

export interface Scene {
  readonly fleet: Fleet;
  readonly sw: Skewwatch;
  readonly timeline: Timeline;
  load: LoadRun | null;
  /** Starts (or replaces) the open-loop load. */
  startLoad(o: Omit<LoadOptions, 'url' | 'onFirst5xx'>): LoadRun;
  /** Polls receivers, Alertmanager and the load generator into the timeline until `until` holds or `ms` pass. */
  watch(ms: number, until?: () => boolean): Promise<void>;
  pdTriggers(): number;
  pdResolves(): number;
  close(): Promise<void>;
}

export async function startScene(name: string, fleetOptions: Omit<FleetOptions, 'alertmanager'>, skewwatch: { cpu?: boolean; extra?: (fleet: Fleet) => string } = {}): Promise<Scene> {
  const fleet = await startFleet({ scrapeIntervalS: 1, ...fleetOptions, alertmanager: true });
  let sw: Skewwatch;
  try {
    sw = await startSkewwatch({ dir: join(fleet.dir, 'skewwatch'), prometheusUrl: fleet.prometheus!.url, alertmanagerUrl: fleet.alertmanager!.url, ...(skewwatch.cpu !== undefined ? { cpu: skewwatch.cpu } : {}), ...(skewwatch.extra ? { extra: skewwatch.extra(fleet) } : {}) });
  } catch (e) {
    await fleet.stopAll();
    throw e;
  }
  const timeline = new Timeline(name);
  timeline.record('start', { backends: fleetOptions.backends, balance: fleetOptions.balance ?? 'roundrobin' });
  let amListed = false;

  const scene: Scene = {
    fleet, sw, timeline, load: null,
    startLoad(o) {
      scene.load?.stop();
      scene.load = startLoad({ url: fleet.haproxy.frontendUrl, ...o, onFirst5xx: (r) => timeline.recordOnce('first-5xx', { status: r.status, server: r.server }, r.doneAt) });
      return scene.load;
    },
    async watch(ms, until) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // Receivers record arrival times themselves; copy the first of each kind.
        const slackFirst = sw.slack.received.find((r) => r.status === 200);
        if (slackFirst) timeline.recordOnce('slack', { header: firstHeader(slackFirst.body) }, slackFirst.at);
        const triggers = sw.pd.received.filter((r) => r.status === 202 && (r.body as { event_action?: string })?.event_action === 'trigger');
        if (triggers[0]) timeline.recordOnce('pagerduty-trigger', { summary: (triggers[0].body as { payload?: { summary?: string } }).payload?.summary }, triggers[0].at);
        const resolves = sw.pd.received.filter((r) => r.status === 202 && (r.body as { event_action?: string })?.event_action === 'resolve');
        if (resolves[0]) timeline.recordOnce('pagerduty-resolve', undefined, resolves[0].at);
        const listed = (await fleet.alertmanager!.listAlerts({ severity: 'critical' }).catch(() => [])).length > 0;
        if (listed && !amListed) timeline.recordOnce('alertmanager-listed');
        if (!listed && amListed) timeline.recordOnce('alertmanager-gone');
        amListed = amListed || listed;
        if (until?.()) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    pdTriggers: () => sw.pd.events.filter((e) => e.event_action === 'trigger').length,
    pdResolves: () => sw.pd.events.filter((e) => e.event_action === 'resolve').length,
    async close() {
      scene.load?.stop();
      await scene.load?.done.catch(() => undefined);
      timeline.record('end', { slackMessages: sw.slack.messages.length, pdTriggers: scene.pdTriggers(), pdResolves: scene.pdResolves(), leadTimeMs: timeline.leadTimeMs() });
      timeline.write();
      await sw.stop();
      await fleet.stopAll();
    },
  };
  return scene;
}

function firstHeader(body: unknown): string | undefined {
  const blocks = (body as { blocks?: Array<{ type?: string; text?: { text?: string } }> })?.blocks;
  return blocks?.find((b) => b.type === 'header')?.text?.text;
}

/** Seconds between two timeline events, one decimal. */
export function secondsBetween(t: Timeline, from: Parameters<Timeline['first']>[0], to: Parameters<Timeline['first']>[0]): number | undefined {
  const a = t.first(from);
  const b = t.first(to);
  return a && b ? Math.round((b.t - a.t) / 100) / 10 : undefined;
}
