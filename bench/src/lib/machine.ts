import { cpus, platform, release, totalmem } from "node:os";

/** What the figures were measured on. */
/** The machine's cores, CPU, memory (GB), OS and Node version, as latest.json records them. */
export type Machine = ReturnType<typeof machine>;

export function machine() {
  const list = cpus();
  return {
    cores: list.length,
    cpu_model: list[0]?.model?.trim() ?? "unknown",
    cpu_mhz: list[0]?.speed ?? null,
    memory_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}
