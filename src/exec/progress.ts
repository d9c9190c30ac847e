/** What `mirrord exec` tells the user while it prepares (MIRRORD_PROGRESS_MODE, cli-config.md §6.3). */

export type ProgressMode = "std" | "simple" | "json" | "off";

export interface ProgressSinks {
  stdout(text: string): void;
  stderr(text: string): void;
  stderrIsTty: boolean;
}

export interface Progress {
  task(name: string): void;
  done(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export function progressModeOf(value: string | undefined): ProgressMode | "default" {
  switch (value?.toLowerCase()) {
    case "std":
    case "standard":
      return "std";
    case "simple":
    case "dumb":
      return "simple";
    case "json":
      return "json";
    case "off":
      return "off";
    default:
      return "default";
  }
}

/** Default mode is the standard one on a terminal; off a terminal only warnings are shown. */
export function createProgress(value: string | undefined, sinks: ProgressSinks): Progress {
  const requested = progressModeOf(value);
  const mode: ProgressMode = requested === "default" ? (sinks.stderrIsTty ? "std" : "off") : requested;
  const json = (object: Record<string, unknown>) => sinks.stdout(`${JSON.stringify(object)}\n`);
  let current: string | null = null;
  switch (mode) {
    case "std":
      return {
        task: (name) => sinks.stderr(`* ${name}\n`),
        done: (message) => sinks.stderr(`✓ ${message}\n`),
        info: (message) => sinks.stderr(`* ${message}\n`),
        warn: (message) => sinks.stderr(`! ${message}\n`),
      };
    case "simple":
      return {
        task: (name) => sinks.stdout(`${name}\n`),
        done: (message) => sinks.stdout(`${message}\n`),
        info: (message) => sinks.stdout(`${message}\n`),
        warn: (message) => sinks.stdout(`${message}\n`),
      };
    case "json":
      return {
        task: (name) => {
          current = name;
          json({ type: "NewTask", name, parent: null });
        },
        done: (message) => json({ type: "FinishedTask", name: current, success: true, message }),
        info: (message) => json({ type: "Info", message }),
        warn: (message) => json({ type: "Warning", message }),
      };
    case "off":
      return {
        task: () => {},
        done: () => {},
        info: () => {},
        // Silenced progress still must not swallow what the user has to know.
        warn: requested === "off" ? () => {} : (message) => sinks.stderr(`! ${message}\n`),
      };
  }
}
