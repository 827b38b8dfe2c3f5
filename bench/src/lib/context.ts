// What every section is given by run.ts: the run's settings, its log and its database.

/** One bench run's settings, as `pnpm bench` parsed them, and what it set up for the sections. */
export interface BenchContext {
  /** Tells this run's topics, groups and databases from any other's. */
  runId: string;
  /** `--quick`: shorter phases, fewer rounds. */
  quick: boolean;
  /** `--soak-minutes`, or its default. */
  soakMinutes: number;
  /** `--ticks`, when given. */
  ticks: number | undefined;
  /** `--restarts`, when given. */
  restarts: number | undefined;
  /** `--cpu-prof`: engines run under the V8 profiler. */
  cpuProfile: boolean;
  /** Prints a line with the seconds since the run started. */
  log: (message: string) => void;
  /** The run's PostgreSQL database, for the engines' journals. */
  databaseUrl: string;
}

/** Signal-to-fill latencies (ms) of one phase, for the chart. */
export interface LatencyDistribution {
  label: string;
  latencies: number[];
}
