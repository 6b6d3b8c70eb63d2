// SARIF 2.1.0 output for `skewwatch audit`, so code-scanning tools show the
// findings on the balancer config's lines. Field meanings: OASIS SARIF
// 2.1.0, §3.13 (run), §3.19 (toolComponent), §3.27 (result), §3.28
// (location), §3.30 (region). Levels map 1:1 (error, warning, note).
import { AUDIT_RULES, type Finding } from './lint.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** A path as a SARIF artifact URI: forward slashes, percent-encoded, relative when given relative. */
function artifactUri(file: string): string {
  return encodeURI(file.replace(/\\/g, '/'));
}

export function toSarif(findings: readonly Finding[], version: string): unknown {
  const index = new Map(AUDIT_RULES.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'skewwatch',
            version,
            informationUri: 'https://www.npmjs.com/package/skewwatch',
            rules: AUDIT_RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.summary },
              defaultConfiguration: { level: r.severity },
            })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: index.get(f.ruleId),
          level: f.severity,
          message: { text: `${f.message}. Risk: ${f.risk}. Fix: ${f.fix}.` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: artifactUri(f.at.file) },
                region: { startLine: f.at.line },
              },
            },
          ],
        })),
      },
    ],
  };
}
