// Building blocks of the families: server sets, loads, seeded choices.
import { Rng } from '../sim/random.js';
import type { Balance, HashKey, PoolSpec, ServerSpec } from '../sim/types.js';
import { serverName, type Scenario } from '../scenario.js';
import { hash32 } from '../sim/routing.js';

export interface FamilyDef {
  readonly name: string;
  readonly kind: 'benign' | 'fault';
  /** Pool sizes; every size gets every seed. */
  readonly sizes: readonly number[];
  /** What the family is, for the table's legend. */
  readonly about: string;
  readonly build: (size: number, seed: number) => Scenario;
}

export const MIN = 60;
export const HOUR = 3600;

/** A seeded generator per (family, size, seed): runs are independent and reproducible. */
export function rngFor(family: string, size: number, seed: number): Rng {
  return new Rng(hash32(`${family}/${size}/${seed}`));
}

export interface ServerOptions {
  readonly cores?: number;
  readonly weight?: number;
  readonly serviceTime: number;
  readonly maxconn?: number;
  readonly appLimit?: number;
  readonly slowstart?: number;
  readonly bgCores?: number;
}

export function servers(size: number, o: ServerOptions, override: (i: number) => Partial<ServerSpec> = () => ({})): ServerSpec[] {
  return Array.from({ length: size }, (_, i) => ({
    name: serverName(i, size),
    cores: o.cores ?? 1,
    weight: o.weight ?? 1,
    serviceTime: o.serviceTime,
    ...(o.maxconn !== undefined ? { maxconn: o.maxconn } : {}),
    ...(o.appLimit !== undefined ? { appLimit: o.appLimit } : {}),
    ...(o.slowstart !== undefined ? { slowstart: o.slowstart } : {}),
    ...(o.bgCores !== undefined ? { bgCores: o.bgCores } : {}),
    ...override(i),
  }));
}

export function poolSpec(balance: Balance, list: readonly ServerSpec[], extra: Partial<PoolSpec> = {}): PoolSpec {
  return { name: 'be_app', balance, servers: list, ...extra };
}

/** Requests per second a server can serve. */
export function capacityOf(s: ServerSpec): number {
  return Math.max(0, s.cores - (s.bgCores ?? 0)) / s.serviceTime;
}

/** Pool capacity of the listed (usable) servers. */
export function poolCapacity(list: readonly ServerSpec[]): number {
  return list.reduce((a, s) => a + capacityOf(s), 0);
}

/**
 * The highest utilisation at which one second's arrivals at a server fit in
 * its capacity with `z` standard deviations to spare: lambda + z * sd <= c,
 * where c is the server's capacity in requests per second. With random
 * balancing each server's arrivals are a Poisson stream (sd = sqrt(lambda));
 * roundrobin splits a Poisson total evenly over n servers (sd =
 * sqrt(lambda / n)). Solving lambda + z * sqrt(k * lambda) = c for
 * sqrt(lambda): (-z sqrt(k) + sqrt(z^2 k + 4c)) / 2. A benign family that
 * runs servers near their limit caps its drawn utilisation with this: at 84%
 * of a 50-request/s server, random balancing's bursts keep work waiting for
 * seconds at a time (queueing: the server is saturated, the situation no
 * longer benign), while a 250-request/s server at 85% has room.
 */
export function burstHeadroom(capacity: number, balance: Balance, servers: number, z = 2): number {
  const k = balance === 'random' ? 1 : 1 / Math.max(1, servers);
  const root = (-z * Math.sqrt(k) + Math.sqrt(z * z * k + 4 * capacity)) / 2;
  return (root * root) / capacity;
}

/** A typical request cost: 4-20 ms of CPU (50-250 requests per second per core). */
export function serviceTime(r: Rng): number {
  return r.between(0.004, 0.02);
}

/** Slow, smooth wander of the load (+-amp), so that no two runs have the same shape. */
export function wander(r: Rng, amp: number): (t: number) => number {
  const p1 = r.between(0, 2 * Math.PI);
  const p2 = r.between(0, 2 * Math.PI);
  const f1 = 1 / r.between(20 * MIN, 60 * MIN);
  const f2 = 1 / r.between(3 * MIN, 9 * MIN);
  return (t) => 1 + amp * (0.7 * Math.sin(2 * Math.PI * f1 * t + p1) + 0.3 * Math.sin(2 * Math.PI * f2 * t + p2));
}

/** Zipf-distributed keys (client addresses or URIs), exponent s. */
export function zipfKeys(r: Rng, count: number, s: number, prefix: string): HashKey[] {
  return Array.from({ length: count }, (_, i) => ({ hash: hash32(`${prefix}-${i}-${r.int(0, 1e9)}`), share: 1 / Math.pow(i + 1, s) }));
}

/** Balance for a benign run: HAProxy's default roundrobin or random (Poisson counts), by seed. */
export function benignBalance(seed: number): Balance {
  return seed % 2 === 0 ? 'roundrobin' : 'random';
}
