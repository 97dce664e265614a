import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { allPolicies } from "../policies/rules";
import { policyConfigForStack as readPolicyConfig } from "../tools/policy-config";
import { entry } from "./helpers/assert";

/*
 * The pack as the Pulumi CLI runs it: policies/index.ts started as its own process (PolicyPack
 * serves the analyzer over gRPC and prints its port), configured with a stack's
 * --policy-pack-config and called with Analyze / AnalyzeStack requests carrying what the engine
 * sends, unknown-value sentinels included. Proves the pack loads and that the real SDK server
 * (config, enforcement levels, its unknown-checking proxy) agrees with the offline evaluator.
 */

/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as Record<
  | "ConfigureAnalyzerRequest"
  | "PolicyConfig"
  | "AnalyzerResourceOptions"
  | "AnalyzeRequest"
  | "AnalyzeStackRequest"
  | "AnalyzerResource",
  new () => Message
> & { EnforcementLevel: Record<string, number> };
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as {
  AnalyzerClient: new (
    address: string,
    credentials: grpc.ChannelCredentials,
  ) => Record<AnalyzerMethod, (req: unknown, cb: (err: Error | null, res: Message) => void) => void>;
};
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: unknown): unknown };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The protobuf accessors these tests call: a message without one fails with "not a function". */
type MessageMethod =
  | "getDiagnosticsList"
  | "getEnforcementlevel"
  | "getMessage"
  | "getPolicyconfigMap"
  | "getPolicyname"
  | "setEnforcementlevel"
  | "setName"
  | "setOptions"
  | "setProperties"
  | "setProtect"
  | "setResourcesList"
  | "setType"
  | "setUrn";
type Message = Record<MessageMethod, (...a: unknown[]) => unknown>;
type AnalyzerMethod = "configure" | "analyze" | "analyzeStack";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const POLICIES_DIR = path.resolve(__dirname, "../policies");

let child: ChildProcess | undefined;
let client: ReturnType<typeof connect> | undefined;

function connect(port: string) {
  const c = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (method: AnalyzerMethod, req: unknown) =>
    new Promise<Message>((resolve, reject) =>
      c[method].call(c, req, (err: Error | null, res: Message) => (err ? reject(err) : resolve(res))),
    );
  return { call, close: () => (c as unknown as { close(): void }).close() };
}

function startPack(): Promise<string> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, ["--import", "tsx", "index.ts"], {
      cwd: POLICIES_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const port = /^(\d+)\s*$/m.exec(out)?.[1];
      if (port) resolve(port);
    });
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`policy pack did not start: ${err}`)), 30_000).unref();
  });
}

const LEVELS: Record<string, string> = {
  advisory: "ADVISORY",
  mandatory: "MANDATORY",
  disabled: "DISABLED",
  remediate: "REMEDIATE",
};

/** What the CLI sends for --policy-pack-config: each policy's level and its properties. */
async function configure(stack: string) {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap() as { set(k: string, v: unknown): void };
  const file = readPolicyConfig(stack) as Record<string, Record<string, unknown>>;
  for (const policy of allPolicies) {
    const { enforcementLevel, ...properties } = file[policy.name] ?? {};
    const config = new analyzerPb.PolicyConfig();
    config.setEnforcementlevel(
      entry(
        analyzerPb.EnforcementLevel,
        entry(LEVELS, String(enforcementLevel ?? policy.enforcementLevel), "LEVELS"),
        "EnforcementLevel",
      ),
    );
    config.setProperties(Struct.fromJavaScript(properties));
    map.set(policy.name, config);
  }
  await client!.call("configure", req);
}

function options(protect = false) {
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(protect);
  return opts;
}

const urnOf = (type: string, name: string) => `urn:pulumi:prod::platform::${type}::${name}`;

interface Diagnostic {
  policy: string;
  level: string;
  message: string;
}

function diagnosticsOf(res: Message): Diagnostic[] {
  const names = Object.fromEntries(Object.entries(analyzerPb.EnforcementLevel).map(([k, v]) => [v, k.toLowerCase()]));
  return (res.getDiagnosticsList() as Message[]).map((d) => ({
    policy: String(d.getPolicyname()),
    level: entry(names, String(Number(d.getEnforcementlevel())), "enforcement level names"),
    message: String(d.getMessage()),
  }));
}

async function analyze(
  type: string,
  name: string,
  props: Record<string, unknown>,
  protect = false,
): Promise<Diagnostic[]> {
  const req = new analyzerPb.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(urnOf(type, name));
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(options(protect));
  return diagnosticsOf(await client!.call("analyze", req));
}

async function analyzeStack(
  resources: { type: string; name: string; props: Record<string, unknown>; protect?: boolean }[],
): Promise<Diagnostic[]> {
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList(
    resources.map((r) => {
      const m = new analyzerPb.AnalyzerResource();
      m.setType(r.type);
      m.setName(r.name);
      m.setUrn(urnOf(r.type, r.name));
      m.setProperties(Struct.fromJavaScript(r.props));
      m.setOptions(options(r.protect));
      return m;
    }),
  );
  return diagnosticsOf(await client!.call("analyzeStack", req));
}

const DB = {
  engine: "postgres",
  instanceClass: "db.t4g.medium",
  allocatedStorage: 100,
  publiclyAccessible: false,
  storageEncrypted: true,
  manageMasterUserPassword: true,
  backupRetentionPeriod: 30,
  performanceInsightsEnabled: true,
  multiAz: true,
  deletionProtection: true,
  skipFinalSnapshot: false,
};

describe("the pack under the real @pulumi/policy analyzer server", () => {
  before(async () => {
    client = connect(await startPack());
    await configure("prod");
  });
  after(() => {
    client?.close();
    child?.kill();
  });

  it("a compliant RDS instance: no diagnostics; a public, unencrypted one: mandatory, by name", async () => {
    assert.deepEqual(await analyze("aws:rds/instance:Instance", "db", DB, true), []);
    const bad = await analyze(
      "aws:rds/instance:Instance",
      "db",
      { ...DB, publiclyAccessible: true, storageEncrypted: false, performanceInsightsEnabled: false },
      true,
    );
    assert.deepEqual(bad.map((d) => [d.policy, d.level]).sort(), [
      ["rds-not-public", "mandatory"],
      ["rds-performance-insights", "advisory"],
      ["rds-storage-encrypted", "mandatory"],
    ]);
  });

  it("resource options reach the rules: protect in prod", async () => {
    const found = await analyze("aws:kms/key:Key", "key", { enableKeyRotation: true }, false);
    assert.deepEqual(
      found.map((d) => [d.policy, d.level]),
      [["stateful-resources-protected", "mandatory"]],
    );
  });

  it("unknown values at preview raise nothing, not even the server's can't-run-during-preview note", async () => {
    const unknown = Object.fromEntries(Object.keys(DB).map((k) => [k, UNKNOWN]));
    assert.deepEqual(await analyze("aws:rds/instance:Instance", "db", { ...unknown, engine: "postgres" }, true), []);
    const eks = {
      version: UNKNOWN,
      upgradePolicy: UNKNOWN,
      endpointPublicAccess: UNKNOWN,
      publicAccessCidrs: [UNKNOWN],
      enabledClusterLogTypes: UNKNOWN,
      encryptionConfigKeyArn: UNKNOWN,
    };
    assert.deepEqual(await analyze("eks:index:Cluster", "eks", eks), []);
    assert.deepEqual(await analyze("docker:index/container:Container", "app", { image: UNKNOWN, memory: 512 }), []);
  });

  it("stack policies: a bucket whose settings point at it by an unknown id is fine; a bare bucket is not", async () => {
    const bucket = { type: "aws:s3/bucket:Bucket", name: "b", props: { forceDestroy: false }, protect: true };
    const pab = {
      type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      name: "pab",
      props: {
        bucket: UNKNOWN,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    };
    const s3 = (found: Diagnostic[]) =>
      found
        .filter((d) => d.policy.startsWith("s3-"))
        .map((d) => d.policy)
        .sort();
    assert.deepEqual(s3(await analyzeStack([bucket, pab])), ["s3-kms-encryption", "s3-tls-only", "s3-versioning"]);
    assert.deepEqual(s3(await analyzeStack([bucket])), [
      "s3-kms-encryption",
      "s3-public-access-block",
      "s3-tls-only",
      "s3-versioning",
    ]);
  });
});
