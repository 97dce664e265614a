import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  asRecords,
  asStrings,
  input,
  inputJson,
  inputList,
  inputNumber,
  inputRecord,
  inputString,
  valueAt,
} from "./helpers/inputs";
import type { PlannedResource } from "./helpers/program";

const deployment: PlannedResource = {
  type: "kubernetes:apps/v1:Deployment",
  name: "web",
  parent: null,
  options: {},
  inputs: {
    metadata: { annotations: { "kubernetes.io/service-account.name": "edge-a" } },
    spec: { replicas: 2, template: { spec: { containers: [{ name: "web", image: "nginx" }] } } },
    policy: '{"Version":"2012-10-17"}',
  },
};

describe("typed input helpers", () => {
  it("walk dotted paths through objects and lists, and keys holding a dot as steps", () => {
    assert.equal(inputString(deployment, "spec.template.spec.containers.0.image"), "nginx");
    assert.equal(inputNumber(deployment, "spec.replicas"), 2);
    assert.equal(input(deployment, ["metadata", "annotations", "kubernetes.io/service-account.name"]), "edge-a");
    assert.deepEqual(Object.keys(inputRecord(deployment, "spec.template")), ["spec"]);
    assert.equal(inputList(deployment, "spec.template.spec.containers").length, 1);
    assert.deepEqual(inputJson(deployment, "policy"), { Version: "2012-10-17" });
  });

  it("an absent step reads as undefined, as optional chaining would", () => {
    assert.equal(input(deployment, "spec.strategy.type"), undefined);
    assert.equal(input(deployment, "spec.replicas.value"), undefined);
    assert.equal(valueAt([1, 2], "name"), undefined);
  });

  it("a wrong shape fails naming the resource, the path and what was there", () => {
    assert.throws(
      () => inputString(deployment, "spec.replicas"),
      /kubernetes:apps\/v1:Deployment web: inputs\.spec\.replicas: expected a string, got 2/,
    );
    assert.throws(
      () => inputRecord(deployment, "spec.missing"),
      /inputs\.spec\.missing: expected an object, got missing/,
    );
    assert.throws(() => inputJson(deployment, "spec.template.spec.containers.0.name"), /not JSON/);
    assert.throws(() => asStrings(["a", 1], "names"), /names\[1\]: expected a string, got 1/);
    assert.throws(() => asRecords([{}, []], "rules"), /rules\[1\]: expected an object, got \[\]/);
  });
});
