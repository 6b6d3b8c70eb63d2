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
import { checkStateDir } from '../state/dir.js';
import { StateLock } from '../state/lock.js';
import { buildInfo } from '../util/version.js';
import { readSilenceFile, silencesFromConfig } from '../state/silences.js';
import { DeliveryLoop } from '../notify/dispatcher.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { packageVersion } from '../util/version.js';

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
  const load = () => loadConfig({ ...(opts.configFile ? { file: opts.configFile } : {}), env: opts.env });
  let loaded = load();
  // An embedder that passes a silent logger (tests, demo) keeps it silent.
  const applyLevel = (level: string) => { if (log.level !== 'silent') log.level = level; };
  applyLevel(loaded.config.log_level);
  for (const w of loaded.warnings) log.warn(w);
  const build = buildInfo(opts.env);
  const metrics = new SkewwatchMetrics({ defaultMetrics: true, ...build, backendsPerPool: loaded.config.metrics_backends_per_pool, backendsMax: loaded.config.metrics_backends_max });
  // Everything that can fail is built before anything starts: a config that
  // validates but cannot be built (a missing CA file) stops here, with nothing
  // left running.
  const parts = buildParts(loaded, clock, metrics);
  const stateDir = resolve(loaded.config.state_dir);
  let lock: StateLock | null = null;
  let store: StateStore;
  try {
    if (opts.store) {
      store = opts.store;
    } else {
      // Fail at start, clearly, rather than discover it at the first save.
      checkStateDir(stateDir);
      lock = StateLock.acquire(stateDir, { staleMs: Math.max(3 * loaded.config.interval, 60_000) });
      store = new FileStateStore(stateDir, log);
    }
  } catch (e) {
    await parts.source.close?.();
    throw e;
  }
  opts.onStart?.({ interval: loaded.config.interval, namespace: loaded.config.namespace });
  let daemon: Daemon;
  let http: HttpServerHandle;
  try {
    daemon = new Daemon(
      {
        ...parts,
        store,
        clock,
        log,
        metrics,
        extraSilences: () => readSilenceFile(stateDir),
        ...(opts.onCycle ? { onCycle: opts.onCycle } : {}),
      },
      silencesFromConfig(loaded.config.silences),
    );
    // Listen before delivery and scheduling start: a port in use is an
    // error at once, with nothing running that would keep the process alive.
    http = await startHttpServer(opts.listen ?? loaded.config.listen, metrics.registry, {
      readiness: () => daemon.readiness(clock.now()),
      status: () => daemon.status(clock.now()),
    });
  } catch (e) {
    lock?.release();
    await parts.source.close?.();
    throw e;
  }
  metrics.lastReloadSuccessful.set(1);
  metrics.lastReloadSuccessTime.set(clock.now() / 1000);

  // One delivery loop at a time, always on the daemon's current outbox.
  let delivery!: DeliveryLoop;
  let deliveryStop = new AbortController();
  let deliveryKill = new AbortController();
  let deliveryRun: Promise<void> = Promise.resolve();
  const startDelivery = () => {
    deliveryStop = new AbortController();
    deliveryKill = new AbortController();
    delivery = new DeliveryLoop({ outbox: daemon.outbox, clock, logger: log, afterRound: (s) => { if (s.results.length > 0) daemon.persist(); } });
    deliveryRun = delivery.run(deliveryStop.signal, deliveryKill.signal).catch((e: unknown) => log.error({ err: e }, 'delivery loop failed'));
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
      lock?.heartbeat();
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

  log.info({ listen: http.url, mode: loaded.config.source.mode, preset: loaded.config.source.preset, intervalMs: loaded.config.interval, stateDir, version: build.version, revision: build.revision }, 'skewwatch started');
  scheduler.start();

  const reloadOnce = async (): Promise<boolean> => {
    let next: LoadedConfig;
    let nextParts: DaemonParts;
    try {
      next = load();
      // Build the new source and sinks completely before touching the
      // running ones: a config that validates but cannot be built (a missing
      // tls.ca_file, a Slack URL without a path) is rejected like an invalid one.
      nextParts = buildParts(next, clock, metrics);
    } catch (e) {
      metrics.reloads.inc({ outcome: 'failure' });
      metrics.lastReloadSuccessful.set(0);
      log.error({ err: e }, 'config reload rejected: the previous config keeps running');
      return false;
    }
    const intervalChanged = next.config.interval !== loaded.config.interval || next.config.schedule !== loaded.config.schedule;
    loaded = next;
    applyLevel(next.config.log_level);
    // The old loop must be stopped before the outbox is carried over, or an
    // entry in flight on the old outbox would be sent again by the new one.
    await stopDelivery();
    try {
      daemon.reconfigure(nextParts, silencesFromConfig(next.config.silences));
    } finally {
      startDelivery();
    }
    if (intervalChanged) {
      void scheduler.stop(loaded.config.interval).then(() => {
        scheduler = makeScheduler();
        scheduler.start();
      });
    }
    metrics.reloads.inc({ outcome: 'success' });
    metrics.lastReloadSuccessful.set(1);
    metrics.lastReloadSuccessTime.set(clock.now() / 1000);
    for (const w of next.warnings) log.warn(w);
    log.info({ rules: next.rules.length }, 'config reloaded');
    return true;
  };
  // Reloads run one at a time and never reject (a SIGHUP handler has no one to report to).
  let reloading: Promise<boolean> = Promise.resolve(true);
  const reload = (): Promise<boolean> => {
    reloading = reloading.then(reloadOnce, reloadOnce).catch((e: unknown) => {
      metrics.reloads.inc({ outcome: 'failure' });
      metrics.lastReloadSuccessful.set(0);
      log.error({ err: e }, 'config reload failed');
      return false;
    });
    return reloading;
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
      daemon.flush();
      await http.close();
      await daemon.close();
      lock?.release();
      log.info('stopped');
    })();
    return stopping;
  };

  if (opts.handleSignals) installSignalHandlers(log, stop, reload);
  return { daemon, http, metrics, reload, stop };
}

/** The stop deadline; past it (plus a margin) the process exits anyway. */
const STOP_DEADLINE_MS = 10_000;

/** Writes the last log lines (pino writes asynchronously), then exits. */
export function flushAndExit(log: Logger, code: number): void {
  const exit = () => process.exit(code);
  // A flush that never calls back (a stuck stdout) must not keep the process alive.
  setTimeout(exit, 2000).unref();
  try {
    log.flush(() => exit());
  } catch {
    exit();
  }
}

function installSignalHandlers(log: Logger, stop: (deadlineMs?: number) => Promise<void>, reload: () => Promise<boolean>): void {
  let signalled = false;
  const onStop = (sig: string) => {
    if (signalled) {
      // A second signal: the operator means it.
      log.warn({ signal: sig }, 'second signal: exiting now');
      flushAndExit(log, 1);
      return;
    }
    signalled = true;
    log.info({ signal: sig }, 'signal received');
    // SIGTERM always ends the process, even if stopping hangs.
    setTimeout(() => { log.error('stop did not finish in time: exiting'); flushAndExit(log, 1); }, STOP_DEADLINE_MS + 5000).unref();
    stop(STOP_DEADLINE_MS).then(
      () => flushAndExit(log, 0),
      (e: unknown) => { log.error({ err: e }, 'stop failed'); flushAndExit(log, 1); },
    );
  };
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading config');
    void reload();
  });
}
