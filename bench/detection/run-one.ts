// One run, with every page and warning it raised:
//   node --import tsx bench/detection/run-one.ts <family> <size> <seed>
import { family } from './families/index.js';
import { runScenario } from './harness.js';
import { judge } from './judge.js';

const [name, size, seed] = process.argv.slice(2);
if (!name || !size || !seed) throw new Error('usage: run-one.ts <family> <size> <seed>');
const cpu0 = process.cpuUsage();
const trace = await runScenario(family(name).build(Number(size), Number(seed)), { wire: process.env.WIRE === 'text' ? 'text' : 'families' });
const cpu = process.cpuUsage(cpu0);
const result = judge(trace);
for (const p of trace.pages) console.log(`page    t=${p.at}s ${p.rule} [${p.reasons.join(',')}] ${p.text}`);
for (const w of trace.warnings) console.log(`warning t=${w.at}s ${w.rule} [${w.reasons.join(',')}] ${w.text}`);
console.log(JSON.stringify({ ...result, truth: trace.fleet.truth, cpuMsPerCycle: (cpu.user + cpu.system) / 1000 / trace.cycles }));
