// `npm run bench:soak`: the long soak (10,000 backends in 1,000 pools,
// 10,000 cycles by default; SOAK_CYCLES / SOAK_POOLS override). Prints one
// JSON line on stdout, and a progress line on stderr every 500 cycles.
import { runSoak } from './run-soak.js';

const cycles = Number(process.env.SOAK_CYCLES ?? 10_000);
const pools = Number(process.env.SOAK_POOLS ?? 1_000);
const result = await runSoak({
  pools, backendsPerPool: 10, cycles, sampleEvery: 500,
  onSample: (s) => console.error(JSON.stringify({ ...s, rssMiB: Math.round(process.memoryUsage().rss / 1048576) })),
});
console.log(JSON.stringify({ ...result, rssGrowth: Math.round((result.rssEndMiB / result.rssStartMiB - 1) * 1000) / 1000 }));
