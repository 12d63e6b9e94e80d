import { cpus, loadavg, totalmem } from 'node:os';

/** What the results were measured on; printed at the top of BENCHMARKS.md. */
export interface MachineInfo {
  readonly node: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly platform: string;
  readonly date: string;
  /** 1-minute load average when the run started (other work on the machine skews every number). */
  readonly loadAverage: number;
}

/**
 * Describes this machine: Node version, CPU model and logical cores from `os.cpus()`, memory, date,
 * and the load average at the start (on a shared machine, the other work on it).
 *
 * @example
 * const { node, cpuModel, cores } = machineInfo();
 */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
    loadAverage: loadavg()[0] ?? 0,
  };
}
