// Cron-expression schedules (`schedule: "*/15 * * * * *"`) through node-cron,
// for teams that align evaluations with wall-clock boundaries. Same contract
// as IntervalScheduler: a run that is still going when the next tick comes
// makes that tick skipped and reported, never queued.
import cron, { type ScheduledTask } from 'node-cron';
import { cronProblem } from '../config/cron.js';
import { settleWithin, type SchedulerHooks } from './scheduler.js';


export class CronScheduler {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly expression: string,
    private readonly run: (tickAt: number) => Promise<void>,
    private readonly hooks: SchedulerHooks = {},
  ) {
    const problem = cronProblem(expression);
    if (problem) throw new Error(`CronScheduler: ${problem}`);
  }

  start(): void {
    if (this.task) return;
    this.task = cron.createTask(this.expression, (ctx) => {
      // node-cron's noOverlap reports overlaps itself; this guard keeps the
      // contract even if a run outlives the task's own bookkeeping.
      if (this.running) {
        this.hooks.onSkip?.(ctx.date.getTime());
        return;
      }
      const p = this.run(ctx.date.getTime()).catch((e: unknown) => this.hooks.onError?.(e));
      this.running = p.finally(() => { this.running = null; });
      return this.running;
    }, { noOverlap: true, name: 'skewwatch-cycle' });
    this.task.on('execution:overlap', (ctx) => this.hooks.onSkip?.(ctx.date.getTime()));
    void this.task.start();
  }

  async stop(deadlineMs: number): Promise<boolean> {
    await this.task?.stop();
    await this.task?.destroy();
    this.task = null;
    return settleWithin(this.running, deadlineMs);
  }

  get busy(): boolean {
    return this.running !== null;
  }
}
