/** `feature.db_branches` (operator only): temporary database branches for the session. */
import * as v from "valibot";
import { bool, listOf, maybe, oneOf, section, str, u64 } from "../schema-kit.ts";

const DB_TYPES = [
  "mysql",
  "mariadb",
  "pg",
  "mongodb",
  "mssql",
  "redis",
  "clickhouse",
  "cockroachdb",
  "dynamodb",
  "spanner",
  "generic",
] as const;

const branch = v.pipe(
  section(
    {
      type: oneOf(DB_TYPES),
      connection: maybe(v.unknown(), "How the app finds the database (env var or url)."),
      id: maybe(str, "Branch id to reuse."),
      name: maybe(str, "Database name."),
      ttl_secs: maybe(u64, "Branch lifetime in seconds."),
      ttl_mins: maybe(u64, "Branch lifetime in minutes."),
      creation_timeout_secs: maybe(u64, "Seconds to wait for the branch."),
      version: maybe(str, "Database version."),
      image: maybe(str, "Database image."),
      copy: maybe(v.unknown(), "What to copy from the source database."),
      migrations: maybe(v.unknown(), "Migrations to run on the branch."),
      iam_auth: maybe(v.unknown(), "Cloud IAM authentication."),
      local: maybe(bool, "redis only: run the branch locally."),
    },
    "One database branch.",
  ),
  v.check(
    (b) => !(b.ttl_secs !== undefined && b.ttl_mins !== undefined),
    "use either ttl_secs or ttl_mins, not both",
  ),
  v.check(
    (b) => !(b.image !== undefined && b.version !== undefined),
    "use either image or version, not both",
  ),
);

export const dbBranchesSchema = listOf(branch);
