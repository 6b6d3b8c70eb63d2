// `npm run bench:soak`: the long soak (10,000 backends in 1,000 pools,
// 10,000 cycles by default; SOAK_CYCLES / SOAK_POOLS override). Prints one
// JSON line on stdout; on stderr a progress line every 500 cycles and a
// memory sample (after forced GCs) every 101 cycles.
import { runSoak } from './run-soak.js';

const cycles = Number(process.env.SOAK_CYCLES ?? 10_000);
const pools = Number(process.env.SOAK_POOLS ?? 1_000);
const result = await runSoak({
  pools, backendsPerPool: 10, cycles, sampleEvery: 500,
  onSample: (s) => console.error(JSON.stringify({ ...s, rssMiB: Math.round(process.memoryUsage().rss / 1048576) })),
  onMemory: (m) => console.error(JSON.stringify({ memory: m.cycle, rssMiB: Math.round(m.rss * 10) / 10, heapMiB: Math.round(m.heap * 10) / 10 })),
});
console.log(JSON.stringify({ ...result, rssGrowth: Math.round((result.rssEndMiB / result.rssStartMiB - 1) * 1000) / 1000 }));
