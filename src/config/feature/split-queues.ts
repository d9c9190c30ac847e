/** `feature.split_queues` (operator only): message filters per queue, as a map by queue id or a list. */
import * as v from "valibot";
import { byShape, listOf, maybe, oneOf, section, str, stringList, stringMap } from "../schema-kit.ts";

const QUEUE_TYPES = [
  "SQS",
  "Kafka",
  "RMQ",
  "GCPPubSub",
  "RedisPubSub",
  "AzureServiceBus",
  "Temporal",
  "BullMQ",
] as const;

const entries = {
  queue_type: oneOf(QUEUE_TYPES),
  message_filter: maybe(stringMap, "Message attribute → regex; all must match."),
  jq_filter: maybe(str, "A jq filter on the message (not for RMQ)."),
  queue_mode: maybe(oneOf(["steal", "mirror"]), "steal (default) or mirror."),
  payload_protobuf: maybe(
    section(
      {
        message_type: str,
        schema_file: maybe(str, "Path to the .proto file."),
        include_directories: maybe(stringList, "Import directories for the .proto file."),
        descriptor_base64: maybe(str, "A serialized FileDescriptorSet."),
      },
      "Decode Kafka payloads from protobuf before jq_filter.",
    ),
    "Kafka only: protobuf payload decoding.",
  ),
};

const queueEntry = section(entries, "Filter of one queue.");
const listedEntry = section({ queue_id: str, ...entries }, "Filter of one queue, with its id.");

export type QueueFilter = v.InferOutput<typeof queueEntry>;

export const splitQueuesSchema = byShape(
  {
    object: v.record(v.string(), queueEntry),
    array: v.pipe(
      listOf(listedEntry),
      v.transform((list) =>
        Object.fromEntries(list.map(({ queue_id, ...filter }): [string, QueueFilter] => [queue_id, filter])),
      ),
    ),
  },
  "a map of queue id → filter, or a list of filters with queue_id",
);
