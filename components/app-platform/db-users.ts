import { createHash } from "node:crypto";

/** The schema the application owns; its user's search_path points there. */
export const APP_SCHEMA = "app";

/**
 * The role RDS checks at login: a member logs in with an IAM authentication token only
 * (`aws rds generate-db-auth-token`), never with a password.
 */
export const RDS_IAM_ROLE = "rds_iam";

export interface DbUsersSqlArgs {
  /** The application database (the instance's `dbName`). */
  database: string;
  /** The application's user: owns `schema`, nothing else. */
  appUser: string;
  /** The nightly dump's user: reads `schema`, writes nothing. */
  dumpUser: string;
  /** Default APP_SCHEMA. */
  schema?: string;
}

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/** A PostgreSQL identifier, double-quoted; refuses anything the config schema would not accept. */
function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain lower-case PostgreSQL identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** A string literal; identifiers are checked above, so no quote can appear. */
const literal = (name: string): string => `'${name}'`;

/**
 * The SQL that creates the application's and the dump's database users, run as the RDS master
 * user by the `db-users` Job (db-users.sh) on every change. Idempotent: roles are created only
 * when missing (DO blocks), every attribute, ownership and grant is (re)asserted, so a second run
 * changes nothing and a run after a hand edit puts the rights back. All in one transaction.
 *
 * - The app user owns schema `schema` (its tables, migrations) and has no CREATE anywhere else:
 *   CREATE on `public` is revoked from PUBLIC, and the database admits only the users named here
 *   (and its owner, the master).
 * - The dump user may read that schema (USAGE, SELECT on its tables and sequences, and on what the
 *   app creates later through default privileges) and nothing else; its sessions are read-only.
 * - Both are members of `rds_iam`: on RDS they log in with IAM tokens only, and have no password.
 *
 * The master is no superuser on RDS (rds_superuser): it becomes a member of the app user to hand
 * it the schema and to set default privileges for the tables the app will create.
 */
export function renderDbUsersSql(args: DbUsersSqlArgs): string {
  const schema = ident(args.schema ?? APP_SCHEMA);
  const [app, dump, db] = [ident(args.appUser), ident(args.dumpUser), ident(args.database)];
  if (args.appUser === args.dumpUser) throw new Error("the app and dump users must differ");
  const createIfMissing = (user: string) =>
    `  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${literal(user)}) THEN\n` +
    `    CREATE ROLE ${ident(user)} LOGIN;\n` +
    `  END IF;`;
  return `-- The application's and the nightly dump's database users (components/app-platform/db-users.ts).
-- Run as the master user in database ${db} by the db-users Job; safe to run again.
BEGIN;

DO $$
BEGIN
${createIfMissing(args.appUser)}
${createIfMissing(args.dumpUser)}
END
$$;

-- Log in with IAM tokens only (RDS), no password; no role, database or replication rights.
ALTER ROLE ${app} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT PASSWORD NULL;
ALTER ROLE ${dump} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT PASSWORD NULL;
GRANT ${ident(RDS_IAM_ROLE)} TO ${app}, ${dump};

-- The master acts for the app user: hands it the schema, sets default privileges for its tables.
GRANT ${app} TO CURRENT_USER;

-- The database: only these users (and its owner) connect; the app may use temporary tables.
REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${app};
GRANT CONNECT ON DATABASE ${db} TO ${dump};
-- Nobody but the owner creates objects in public (PostgreSQL 15's default, asserted for older databases).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- The app's schema, owned by the app user: it creates, alters and drops its own tables there.
CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${app};
ALTER SCHEMA ${schema} OWNER TO ${app};
REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC;
ALTER ROLE ${app} IN DATABASE ${db} SET search_path = ${schema};

-- The dump user reads the app's schema, now and later, and writes nothing.
GRANT USAGE ON SCHEMA ${schema} TO ${dump};
GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${dump};
GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${dump};
ALTER DEFAULT PRIVILEGES FOR ROLE ${app} IN SCHEMA ${schema} GRANT SELECT ON TABLES TO ${dump};
ALTER DEFAULT PRIVILEGES FOR ROLE ${app} IN SCHEMA ${schema} GRANT SELECT ON SEQUENCES TO ${dump};
ALTER ROLE ${dump} IN DATABASE ${db} SET default_transaction_read_only = on;
ALTER ROLE ${dump} IN DATABASE ${db} SET search_path = ${schema};

COMMIT;
`;
}

/** A short digest of the SQL: the Job's name carries it, so a change to the SQL runs a new Job. */
export function sqlDigest(sql: string): string {
  return createHash("sha256").update(sql).digest("hex").slice(0, 10);
}
