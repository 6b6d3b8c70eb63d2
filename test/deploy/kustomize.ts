// A small kustomize resolver for the test (no kustomize binary here): follows
// `resources` (files and directories with a kustomization.yaml) and applies
// `namespace`. That is all deploy/kubernetes/ uses; any other kustomization
// field is refused, so the resolver never silently differs from kustomize.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace']);

export function readManifests(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  }).filter(Boolean);
}

export function build(dir: string): K8sObject[] {
  const k = readManifests(join(dir, 'kustomization.yaml'))[0] as unknown as { kind: string; resources?: string[]; namespace?: string } & Record<string, unknown>;
  if (k.kind !== 'Kustomization') throw new Error(`${dir}: not a Kustomization`);
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${dir}/kustomization.yaml: ${key} is not supported by the test's resolver`);
  const out: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    out.push(...(statSync(path).isDirectory() ? build(path) : readManifests(path)));
  }
  if (k.namespace) for (const o of out) o.metadata.namespace = k.namespace;
  const ids = out.map((o) => `${o.kind}/${o.metadata.name}`);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`${dir}: ${dup} appears twice`);
  return out;
}
