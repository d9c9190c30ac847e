/** `GetEnv` → `Env`: the target's environment, filtered by the client's include/exclude globs. */
import { selectEnv } from "../env-filter.ts";
import type { FeatureHandlers } from "./handler.ts";

export const envFeature: FeatureHandlers = {
  GetEnv: (request, target) => ({
    type: "Env",
    vars: selectEnv(target.env, request).map(([name, value]) => ({ name, value })),
  }),
};
