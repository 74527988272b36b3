/**
 * What a process costs, read from Linux's /proc: CPU time and memory of every thread of a
 * process (worker threads included), for benches that run a server as a child process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc/<pid>/stat's times (100 on every common Linux). */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/**
 * User + system CPU seconds the process has used so far, all its threads together (utime and
 * stime of /proc/<pid>/stat; its children are not included). Resolution: one tick (10 ms).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

export interface Memory {
  /** Resident memory now (VmRSS). */
  rssBytes: number;
  /** The most it has ever been resident (VmHWM), since the process started. */
  peakRssBytes: number;
  threads: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]);
  };
  return { rssBytes: field('VmRSS') * 1024, peakRssBytes: field('VmHWM') * 1024, threads: field('Threads') };
}
