/** `feature.network.outgoing`: which outgoing connections the agent makes. `true` | `false` | object. */
import * as v from "valibot";
import { bool, byShape, maybe, section, stringList, withDefault } from "../../schema-kit.ts";

/** `{"remote": …}` or `{"local": …}`: exactly one side. */
export function sideFilter(what: string) {
  const remote = section({ remote: stringList }, `Only these ${what} go remote.`);
  const local = section({ local: stringList }, `Only these ${what} stay local.`);
  return byShape(
    { object: v.union([remote, local]) },
    'an object with exactly one of "remote" or "local"',
    (input) => {
      const keys = Object.keys(input);
      if (keys.length === 1 && keys[0] === "remote") return remote;
      if (keys.length === 1 && keys[0] === "local") return local;
      return undefined;
    },
  );
}

const outgoingObject = section(
  {
    tcp: withDefault(bool, true, "Make TCP connections from the target."),
    udp: withDefault(bool, true, "Send UDP from the target."),
    ignore_localhost: withDefault(bool, false, "Keep connections to localhost local."),
    filter: maybe(sideFilter("destinations"), "[proto://]host|ip|ip/mask[:port] entries, remote or local."),
    unix_streams: maybe(stringList, "Regexes of unix socket paths connected remotely."),
  },
  "Outgoing traffic.",
);

export type OutgoingConfig = v.InferOutput<typeof outgoingObject>;

export const outgoingSchema = byShape(
  {
    boolean: v.pipe(
      bool,
      v.transform((on) => v.parse(outgoingObject, { tcp: on, udp: on })),
    ),
    object: outgoingObject,
  },
  "true, false or an outgoing object",
);
