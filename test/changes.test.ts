import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { compareResources, differingPaths, REPLACING_INPUTS } from "../tools/plan/changes";
import { item } from "./helpers/assert";
import { one, planFor, runPlanInProcess, type Plan } from "./helpers/program";

const clone = (plan: Plan): Plan => JSON.parse(JSON.stringify(plan)) as Plan;

describe("change review (--compare)", () => {
  it("a plan against itself: everything unchanged", () => {
    const plan = planFor("dev");
    const set = compareResources(plan.resources, plan.resources);
    assert.deepEqual(set.counts, { create: 0, update: 0, replace: 0, delete: 0, same: plan.resources.length });
  });

  it("a database whose storage encryption changes is a REPLACE of a stateful resource, with the input named", () => {
    const head = planFor("prod");
    const base = clone(head);
    const db = base.resources.find((r) => r.type === "aws:rds/instance:Instance") as Plan["resources"][number];
    db.inputs.storageEncrypted = false;
    const set = compareResources(base.resources, head.resources);
    assert.equal(set.counts.replace, 1);
    const change = set.changes.find((c) => c.action === "replace");
    assert.deepEqual(change, {
      action: "replace",
      type: "aws:rds/instance:Instance",
      name: db.name,
      paths: ["storageEncrypted"],
      replacedBy: ["storageEncrypted"],
      stateful: "database",
    });
  });

  it("an instance class change is an update; a removed resource a delete; a new one a create", () => {
    const head = planFor("dev");
    const base = clone(head);
    const db = base.resources.find((r) => r.type === "aws:rds/instance:Instance") as Plan["resources"][number];
    db.inputs.instanceClass = "db.t4g.small";
    const removed = base.resources.findIndex((r) => r.type === "aws:ecr/repository:Repository");
    const repo = item(base.resources.splice(removed, 1), 0, "removed repositories");
    base.resources.push({
      type: "aws:s3/bucket:Bucket",
      name: "old-bucket",
      parent: null,
      inputs: { bucket: "old" },
      options: {},
    });
    const set = compareResources(base.resources, head.resources);
    assert.deepEqual(set.counts, { create: 1, update: 1, replace: 0, delete: 1, same: head.resources.length - 2 });
    assert.deepEqual(set.changes.find((c) => c.action === "update")?.paths, ["instanceClass"]);
    assert.equal(set.changes.find((c) => c.action === "create")?.name, repo.name);
    assert.deepEqual(
      set.changes.find((c) => c.action === "delete"),
      { action: "delete", type: "aws:s3/bucket:Bucket", name: "old-bucket", paths: [], stateful: "bucket" },
    );
  });

  it("the CLI: object lock turned on in dev replaces the bucket, printed first and under `changes` in --json", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "changes-"));
    try {
      const base = path.join(dir, "base.json");
      fs.writeFileSync(base, JSON.stringify(planFor("dev")));
      // One plan: the text on stdout, its JSON (what --json prints) in --out's file.
      const out = path.join(dir, "head.json");
      const text = runPlanInProcess([
        "--stack",
        "dev",
        "--compare",
        base,
        "--config-dir",
        path.dirname(writeStack(dir)),
        "--out",
        out,
      ]);
      assert.equal(text.status, 0, text.stderr);
      const head = JSON.parse(fs.readFileSync(out, "utf8")) as Plan & { changes: { counts: Record<string, number> } };
      const bucket = one(head, "aws:s3/bucket:Bucket", "platform-dev-bucket");
      assert.equal(bucket.inputs.objectLockEnabled, true, "the stack file's object lock reached the plan");
      const lines = text.stdout.split("\n");
      assert.match(item(lines, 0, "output lines"), /^Offline plan of stack dev/);
      assert.match(
        item(lines, 2, "output lines"),
        /^Changes against .*base\.json: 1 to create, 0 to update, 1 to replace, 0 to delete, \d+ unchanged\./,
      );
      assert.match(
        item(lines, 3, "output lines"),
        new RegExp(
          `^!! REPLACE of a stateful resource \\(bucket\\): aws:s3/bucket:Bucket ${bucket.name} is replaced because objectLockEnabled changed`,
        ),
      );
      assert.equal(head.changes.counts.replace, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("secrets on both sides and values unknown in preview are not changes", () => {
    assert.deepEqual(differingPaths({ a: "[secret]", b: { __pulumiUnknown: true } }, { a: "[secret]", b: "x" }), []);
    assert.deepEqual(differingPaths({ a: [1, 2], t: { x: 1 } }, { a: [1, 3], t: { x: 1, y: 2 } }), ["a[1]", "t.y"]);
  });

  it("every stateful type of the replacement table is documented in docs/plan.md", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../docs/plan.md"), "utf8");
    for (const [type, { inputs }] of Object.entries(REPLACING_INPUTS)) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${type}\` |`));
      assert.ok(row, `${type} has a row`);
      for (const input of inputs) assert.ok(row.includes(`\`${input}\``), `${type}: ${input}`);
    }
  });
});

/** A config dir whose dev stack turns object lock on. */
function writeStack(dir: string): string {
  const src = path.join(__dirname, "..");
  for (const f of fs.readdirSync(src).filter((f) => /^Pulumi(\..+)?\.yaml$/.test(f)))
    fs.copyFileSync(path.join(src, f), path.join(dir, f));
  fs.appendFileSync(path.join(dir, "Pulumi.dev.yaml"), "  platform:backups:\n    objectLock: true\n");
  return path.join(dir, "Pulumi.dev.yaml");
}
