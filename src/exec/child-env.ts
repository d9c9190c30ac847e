/** The environment `mirrord exec` hands to the user's program (cli-config.md §6.1 steps 9h and 11). */

/** The variable the dynamic loader reads extra libraries from: ld.so's, or dyld's on macOS. */
export type PreloadVariable = "LD_PRELOAD" | "DYLD_INSERT_LIBRARIES";

export function preloadVariableFor(platform: NodeJS.Platform): PreloadVariable {
  return platform === "darwin" ? "DYLD_INSERT_LIBRARIES" : "LD_PRELOAD";
}

export interface ChildEnvInputs {
  /** This process's environment. */
  local: Record<string, string | undefined>;
  /** The target's variables after include/exclude, env_file, mapping and override. */
  remote: Record<string, string>;
  /** mirrord's own variables for the layer (resolved config, intproxy address, …). */
  mirrord: Record<string, string>;
  /** Absolute path of the extracted layer, appended to the preload variable. */
  layerPath: string;
  /** `feature.env.unset`: removed at the end, names compared case-insensitively. */
  unset: readonly string[];
  /** Where the layer goes: `preloadVariableFor(process.platform)`; LD_PRELOAD when absent. */
  preloadVariable?: PreloadVariable;
}

/** Local env, then the remote one on top (remote wins), then mirrord's variables, minus `unset`. */
export function childEnvironment(inputs: ChildEnvInputs): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inputs.local)) if (value !== undefined) env[key] = value;
  Object.assign(env, inputs.remote, inputs.mirrord);
  const preload = inputs.preloadVariable ?? "LD_PRELOAD";
  env[preload] = appendLibrary(env[preload], inputs.layerPath);
  env.MIRRORD_PROGRESS_MODE = "off";
  // libuv's io_uring file operations bypass libc, so the layer would not see Node's file calls.
  env.UV_USE_IO_URING = "0";
  const unset = new Set(inputs.unset.map((name) => name.toLowerCase()));
  for (const name of Object.keys(env)) if (unset.has(name.toLowerCase())) delete env[name];
  return env;
}

/** Appends `library` to a `:`/space separated preload list, never clobbering what the user had. */
export function appendLibrary(existing: string | undefined, library: string): string {
  const entries = (existing ?? "").split(/[:\s]+/).filter(Boolean);
  if (entries.includes(library)) return entries.join(":");
  return [...entries, library].join(":");
}
