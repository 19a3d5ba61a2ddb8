// Resource use of other processes, read from /proc (Linux): resident memory and CPU time.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ: 100 on Linux
const PAGE = 4096;

export interface ProcSample {
  rssMb: number;
  /** Peak RSS since the process started (VmHWM). */
  hwmMb: number;
  /** User + system CPU seconds since the process started. */
  cpuS: number;
}

function sample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(0) ppid(1) … utime(11) stime(12) … rss(21)
    const cpuS = (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: (Number(f[21]) * PAGE) / 2 ** 20, hwmMb: kb('VmHWM') / 1024, cpuS };
  } catch {
    return undefined;
  }
}

/** The children of a process whose command line contains `match`. */
export function childrenOf(ppid: number, match: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppidOf = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidOf !== ppid) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(match)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Samples processes every `everyMs`: peak RSS, CPU seconds used and the busiest second, while running. */
export class Sampler {
  private readonly first = new Map<number, ProcSample>();
  private readonly last = new Map<number, ProcSample>();
  private readonly peakRss = new Map<number, number>();
  private readonly peakCpu = new Map<number, number>();
  private readonly window = new Map<number, { t: number; cpuS: number }[]>();
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private t1 = 0;

  private readonly pids: number[];
  private readonly everyMs: number;

  constructor(pids: number[], everyMs = 200) {
    this.pids = pids;
    this.everyMs = everyMs;
  }

  start(): void {
    this.t0 = performance.now();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
  }

  private tick(): void {
    const t = performance.now();
    for (const pid of this.pids) {
      const s = sample(pid);
      if (!s) continue;
      if (!this.first.has(pid)) this.first.set(pid, s);
      this.last.set(pid, s);
      this.peakRss.set(pid, Math.max(this.peakRss.get(pid) ?? 0, s.rssMb));
      const w = [...(this.window.get(pid) ?? []), { t, cpuS: s.cpuS }].filter((x) => t - x.t <= 1000);
      this.window.set(pid, w);
      if (w.length > 1 && t - w[0]!.t >= 900) {
        const cores = (s.cpuS - w[0]!.cpuS) / ((t - w[0]!.t) / 1000);
        this.peakCpu.set(pid, Math.max(this.peakCpu.get(pid) ?? 0, cores));
      }
    }
  }

  stop(): void {
    this.tick();
    this.t1 = performance.now();
    clearInterval(this.timer);
  }

  /** Per process: peak RSS (sampled), VmHWM, CPU seconds in the window, average and peak (1 s) cores busy. */
  result(pid: number) {
    const a = this.first.get(pid);
    const b = this.last.get(pid);
    const cpuS = a && b ? b.cpuS - a.cpuS : Number.NaN;
    const avgCores = cpuS / ((this.t1 - this.t0) / 1000);
    return {
      peakRssMb: this.peakRss.get(pid) ?? Number.NaN,
      hwmMb: b?.hwmMb ?? Number.NaN,
      cpuS,
      avgCores,
      // Runs shorter than a second have no full window: their average stands for the peak.
      peakCores: this.peakCpu.get(pid) ?? avgCores,
    };
  }
}
