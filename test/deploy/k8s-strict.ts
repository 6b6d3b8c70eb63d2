// Unknown fields in a manifest (a typo such as `readinesProbe`) pass the
// generated JSON-schema validators but are refused by the API server's strict
// field validation. The TypeScript compiler catches them the same way: each
// object is type-checked as an object literal of kubernetes-models' own
// interface, and excess-property checks report every field the API does not
// have. Returns one message per problem.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize.js';
import { ROOT } from './tools.js';

const MODULES: Record<string, string> = {
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'v1/PersistentVolumeClaim': 'kubernetes-models/v1/PersistentVolumeClaim',
  'v1/Secret': 'kubernetes-models/v1/Secret',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'monitoring.coreos.com/v1/PodMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
};

export function unknownFieldProblems(objects: ReadonlyArray<{ where: string; object: K8sObject }>): string[] {
  // Inside the package, so that node_modules resolves; test-results/ is git-ignored.
  const dir = join(ROOT, 'test-results', 'k8s-strict');
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  objects.forEach(({ object }, i) => {
    const key = `${object.apiVersion}/${object.kind}`;
    const mod = MODULES[key];
    if (!mod) throw new Error(`no model for ${key}`);
    // One line per object, so that a diagnostic's line names its object.
    lines.push(`export const o${i}: import('${mod}').I${object.kind} = ${JSON.stringify(object)};`);
  });
  const file = join(dir, 'manifests.ts');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const where = line >= 0 ? objects[line]?.where ?? '?' : '?';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 300)}`;
  });
}
