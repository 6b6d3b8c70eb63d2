// Assembles a Daemon from a loaded config, and runs it as a process:
// schedule, deliver, serve HTTP, and handle SIGTERM/SIGINT (drain and exit)
// and SIGHUP (reload; an invalid config keeps the old one running).
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { Daemon, type DaemonParts, type CycleReport } from './daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext, buildNotifiers, buildSource } from './build.js';
import { IntervalScheduler, settleWithin } from './scheduler.js';
import { CronScheduler } from './cron-scheduler.js';
import { SkewwatchMetrics } from '../http/metrics.js';
import { startHttpServer, type HttpServerHandle } from '../http/server.js';
import { FileStateStore, type StateStore } from '../state/store.js';
import { readSilenceFile, silencesFromConfig } from '../state/silences.js';
import { DeliveryLoop } from '../notify/dispatcher.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';

export function buildParts(loaded: LoadedConfig, clock: Clock, metrics: SkewwatchMetrics): DaemonParts {
  const notifiers = buildNotifiers(loaded.config, clock);
  return {
    loaded,
    source: buildSource(loaded.config, clock, { onWarning: (_m, signal) => metrics.sourceWarnings.inc({ signal }) }),
    notifiers,
    analysis: buildAnalysisOptions(loaded.config),
    context: buildEvaluatorContext(loaded, notifiers),
  };
}

export interface RuntimeOptions {
  readonly configFile?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly store?: StateStore;
  /** Listen address override (the demo uses 127.0.0.1:0). */
  readonly listen?: string;
  readonly onCycle?: (r: CycleReport) => void;
  /** Called once the config is loaded, before the first cycle. */
  readonly onStart?: (config: { interval: number; namespace: string }) => void;
  /** Install process signal handlers (false for embedded use: demo, tests). */
  readonly handleSignals?: boolean;
}

export interface Runtime {
  readonly daemon: Daemon;
  readonly http: HttpServerHandle;
  readonly metrics: SkewwatchMetrics;
  reload(): Promise<boolean>;
  /** Stops scheduling, finishes in-flight work up to the deadline, flushes state. */
  stop(deadlineMs?: number): Promise<void>;
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const { log } = opts;
  let loaded = loadConfig({ ...(opts.configFile ? { file: opts.configFile } : {}), env: opts.env });
  // An embedder that passes a silent logger (tests, demo) keeps it silent.
  const applyLevel = (level: string) => { if (log.level !== 'silent') log.level = level; };
  applyLevel(loaded.config.log_level);
  opts.onStart?.({ interval: loaded.config.interval, namespace: loaded.config.namespace });
  for (const w of loaded.warnings) log.warn(w);
  const metrics = new SkewwatchMetrics({ defaultMetrics: true, version: '0.1.0', backendsPerPool: loaded.config.metrics_backends_per_pool });
  const stateDir = resolve(loaded.config.state_dir);
  const store = opts.store ?? new FileStateStore(stateDir, log);
  const daemon = new Daemon(
    {
      ...buildParts(loaded, clock, metrics),
      store,
      clock,
      log,
      metrics,
      extraSilences: () => readSilenceFile(stateDir),
      ...(opts.onCycle ? { onCycle: opts.onCycle } : {}),
    },
    silencesFromConfig(loaded.config.silences),
  );

  // One delivery loop at a time, always on the daemon's current outbox.
  let delivery!: DeliveryLoop;
  let deliveryStop = new AbortController();
  let deliveryKill = new AbortController();
  let deliveryRun: Promise<void> = Promise.resolve();
  const startDelivery = () => {
    deliveryStop = new AbortController();
    deliveryKill = new AbortController();
    delivery = new DeliveryLoop({ outbox: daemon.outbox, clock, logger: log, afterRound: (s) => { if (s.results.length > 0) daemon.persist(); } });
    deliveryRun = delivery.run(deliveryStop.signal, deliveryKill.signal);
  };
  /**
   * Lets the round in flight finish (a send cancelled after it reached Slack
   * may have been posted: re-sending it would duplicate the message), and
   * cancels it only past the deadline; a cancelled entry stays queued.
   */
  const stopDelivery = async (deadlineMs = 15_000) => {
    deliveryStop.abort();
    if (!(await settleWithin(deliveryRun, deadlineMs))) {
      deliveryKill.abort();
      await deliveryRun;
    }
  };
  startDelivery();

  const makeScheduler = () => {
    const task = async (tickAt: number) => {
      const deadline = loaded.config.evaluation_timeout ?? Math.round(loaded.config.interval * 0.8);
      await daemon.cycle(tickAt, AbortSignal.timeout(deadline));
      delivery.wake();
    };
    const hooks = {
      onSkip: () => {
        metrics.skippedCycles.inc();
        log.warn('previous cycle still running: this cycle is skipped');
      },
      onError: (e: unknown) => log.error({ err: e }, 'cycle failed'),
    };
    return loaded.config.schedule
      ? new CronScheduler(loaded.config.schedule, task, hooks)
      : new IntervalScheduler(loaded.config.interval, task, clock, hooks);
  };
  let scheduler = makeScheduler();

  const http = await startHttpServer(opts.listen ?? loaded.config.listen, metrics.registry, {
    readiness: () => daemon.readiness(clock.now()),
    status: () => daemon.status(clock.now()),
  });
  log.info({ listen: http.url, mode: loaded.config.source.mode, preset: loaded.config.source.preset, intervalMs: loaded.config.interval, stateDir }, 'skewwatch started');
  scheduler.start();

  const reload = async (): Promise<boolean> => {
    let next: LoadedConfig;
    try {
      next = loadConfig({ ...(opts.configFile ? { file: opts.configFile } : {}), env: opts.env });
    } catch (e) {
      metrics.reloads.inc({ outcome: 'failure' });
      log.error({ err: e }, 'config reload rejected: the previous config keeps running');
      return false;
    }
    const intervalChanged = next.config.interval !== loaded.config.interval || next.config.schedule !== loaded.config.schedule;
    loaded = next;
    applyLevel(next.config.log_level);
    // The old loop must be stopped before the outbox is carried over, or an
    // entry in flight on the old outbox would be sent again by the new one.
    await stopDelivery();
    daemon.reconfigure(buildParts(next, clock, metrics), silencesFromConfig(next.config.silences));
    startDelivery();
    if (intervalChanged) {
      void scheduler.stop(loaded.config.interval).then(() => {
        scheduler = makeScheduler();
        scheduler.start();
      });
    }
    metrics.reloads.inc({ outcome: 'success' });
    for (const w of next.warnings) log.warn(w);
    log.info({ rules: next.rules.length }, 'config reloaded');
    return true;
  };

  let stopping: Promise<void> | null = null;
  const stop = (deadlineMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      log.info({ deadlineMs }, 'stopping: finishing in-flight work');
      const finished = await scheduler.stop(deadlineMs);
      if (!finished) log.warn('in-flight cycle did not finish before the deadline');
      // Stop the loop first (two rounds at once could send an entry twice),
      // then one last round so that what is due goes out; what fails stays
      // queued in the state file for the next start.
      await stopDelivery(Math.round(deadlineMs / 2));
      try {
        await daemon.deliver(AbortSignal.timeout(Math.max(1000, Math.round(deadlineMs / 2))));
      } catch (e) {
        log.warn({ err: e }, 'final delivery round failed; notifications stay queued for the next start');
      }
      daemon.persist();
      await http.close();
      await daemon.close();
      log.info('stopped');
    })();
    return stopping;
  };

  if (opts.handleSignals) {
    const onStop = (sig: string) => {
      log.info({ signal: sig }, 'signal received');
      void stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', () => onStop('SIGTERM'));
    process.once('SIGINT', () => onStop('SIGINT'));
    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading config');
      void reload();
    });
  }
  return { daemon, http, metrics, reload, stop };
}
