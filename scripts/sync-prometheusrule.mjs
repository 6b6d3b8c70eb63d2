#!/usr/bin/env node
// Writes deploy/kubernetes/base/prometheusrule.yaml from the self-monitoring
// rules in alerts/prometheus/skewwatch-self.rules.yml (one source of truth;
// test/deploy/kubernetes.test.ts fails when the two differ).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rules = parse(readFileSync(join(root, 'alerts/prometheus/skewwatch-self.rules.yml'), 'utf8'));
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: {
    name: 'skewwatch-self',
    labels: { 'app.kubernetes.io/name': 'skewwatch', 'app.kubernetes.io/component': 'self-monitoring' },
  },
  spec: { groups: rules.groups },
};
const header = '# Generated from alerts/prometheus/skewwatch-self.rules.yml by\n# `node scripts/sync-prometheusrule.mjs`: edit the rules there, then re-run.\n';
writeFileSync(join(root, 'deploy/kubernetes/base/prometheusrule.yaml'), header + stringify(resource, { lineWidth: 0 }));
