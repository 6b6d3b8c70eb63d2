// Preset registry: `getPreset(name, options)`.

import { SkewwatchError } from '../util/errors.js';
import { createCustomPreset, type CustomOptions } from './custom.js';
import { createEnvoyPreset } from './envoy.js';
import { createHaproxyPreset, type HaproxyOptions } from './haproxy.js';
import { createKubernetesPreset, type KubernetesOptions } from './kubernetes.js';
import { createNginxPreset, type NginxOptions } from './nginx.js';
import type { Preset } from './preset.js';
import { createTraefikPreset, type TraefikOptions } from './traefik.js';

export const PRESET_NAMES = ['haproxy', 'envoy', 'nginx', 'traefik', 'kubernetes', 'custom'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface PresetOptionsByName {
  haproxy: HaproxyOptions;
  envoy: undefined;
  nginx: NginxOptions;
  traefik: TraefikOptions;
  kubernetes: KubernetesOptions;
  custom: CustomOptions;
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

export function getPreset<N extends PresetName>(name: N, options?: PresetOptionsByName[N]): Preset;
export function getPreset(name: string, options?: unknown): Preset;
export function getPreset(name: string, options?: unknown): Preset {
  switch (name) {
    case 'haproxy':
      return createHaproxyPreset((options ?? {}) as HaproxyOptions);
    case 'envoy':
      return createEnvoyPreset();
    case 'nginx':
      return createNginxPreset((options ?? {}) as NginxOptions);
    case 'traefik':
      return createTraefikPreset((options ?? {}) as TraefikOptions);
    case 'kubernetes':
      return createKubernetesPreset((options ?? {}) as KubernetesOptions);
    case 'custom':
      if (options === undefined) throw new SkewwatchError('config', 'preset "custom" needs options (poolLabels, backendLabel, queries/scrape)');
      return createCustomPreset(options as CustomOptions);
    default:
      throw new SkewwatchError('config', `unknown preset "${name}"; known presets: ${PRESET_NAMES.join(', ')}`);
  }
}

export type { Preset, ScrapeExtractor, BackendReading, QuerySet, QueryContext } from './preset.js';
