// What the demo prints after the run: the messages the sinks received, the
// timeline and the closing note, wrapped at word boundaries to the terminal
// width (a terminal wraps a long line wherever the column runs out, often
// mid-word), continuation lines indented under their first.

import { visibleLength } from './view-render.js';

/** Greedy word wrap of one line; a continuation keeps the line's indent plus `hang` spaces. A word longer than the width stays whole. */
export function wrapLine(line: string, width: number, hang = 4): string[] {
  if (visibleLength(line) <= width) return [line];
  const indent = /^\s*/.exec(line)![0];
  const cont = indent + ' '.repeat(hang);
  const words = line.slice(indent.length).split(/ +/).filter((w) => w !== '');
  const out: string[] = [];
  let current = indent;
  for (const w of words) {
    const sep = current.trim() === '' ? '' : ' ';
    if (current.trim() !== '' && visibleLength(current) + 1 + visibleLength(w) > width) {
      out.push(current);
      current = cont + w;
    } else {
      current += sep + w;
    }
  }
  out.push(current);
  return out;
}

export function wrapText(text: string, width: number): string {
  return text.split('\n').flatMap((l) => wrapLine(l, Math.max(20, width))).join('\n');
}

export interface ReportInput {
  /** Lines the print receiver wrote. */
  readonly payloadLines: readonly string[];
  readonly timeline: string;
  readonly width: number;
}

export function renderReport(r: ReportInput): string {
  const received = r.payloadLines.map((l) => `  ${l}`).join('\n') || '  (nothing)';
  return wrapText(
    `\nWhat the sinks received (local receiver standing in for Slack and PagerDuty):\n${received}\n` +
      `\n${r.timeline}\n` +
      `\nThis was a simulation. The end-to-end suite (npm run test:e2e) shows the same on real HAProxy, Prometheus and Alertmanager.\n`,
    r.width,
  );
}
