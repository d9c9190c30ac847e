/** Every file generated from the catalogue, keyed by repository-relative path. */
import { ErrorKind, messages, namedTypes, PROTOCOL_VERSION } from "../catalogue.ts";
import { MAX_NESTING_DEPTH } from "../codec.ts";
import { MAX_FRAME_SIZE } from "../frame.ts";
import { renderC } from "./c.ts";
import { renderTsTypes } from "./ts-types.ts";

export function renderGenerated(): Record<string, string> {
  return {
    "src/protocol/types.gen.ts": renderTsTypes(namedTypes, messages),
    ...renderC({
      version: PROTOCOL_VERSION,
      maxFrameSize: MAX_FRAME_SIZE,
      maxDepth: MAX_NESTING_DEPTH,
      errorKinds: ErrorKind,
      types: namedTypes,
      messages,
    }),
  };
}
