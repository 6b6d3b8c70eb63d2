// CPU of one backend from its own exporter (node_exporter or any Prometheus
// client library's process metrics), for scrape mode's cpu targets.

import type { Family } from '../signals/exposition-types.js';

export const CPU_METRIC_NAMES = ['node_cpu_seconds_total', 'process_cpu_seconds_total'] as const;

export interface CpuReading {
  readonly seconds: number;
  readonly capacity?: number;
  readonly source: 'node' | 'process';
}

/**
 * CPU seconds from one exporter: node_exporter's node_cpu_seconds_total
 * summed over every mode except idle (capacity = number of CPUs), else
 * process_cpu_seconds_total (any Prometheus client library). node_exporter
 * also exposes its own process_cpu_seconds_total, so it wins in auto mode.
 */
export function readCpu(families: readonly Family[], metric: 'auto' | 'node' | 'process' = 'auto'): CpuReading | undefined {
  let nodeSum = 0;
  let nodeSeen = false;
  const cpus = new Set<string>();
  let procSum = 0;
  let procSeen = false;
  for (const f of families) {
    for (const s of f.samples) {
      if (!Number.isFinite(s.value)) continue;
      if (s.name === 'node_cpu_seconds_total') {
        if (s.labels.cpu !== undefined) cpus.add(s.labels.cpu);
        if (s.labels.mode === 'idle') continue;
        nodeSum += s.value;
        nodeSeen = true;
      } else if (s.name === 'process_cpu_seconds_total') {
        procSum += s.value;
        procSeen = true;
      }
    }
  }
  if (nodeSeen && metric !== 'process') {
    return cpus.size > 0 ? { seconds: nodeSum, capacity: cpus.size, source: 'node' } : { seconds: nodeSum, source: 'node' };
  }
  if (procSeen && metric !== 'node') return { seconds: procSum, source: 'process' };
  return undefined;
}
