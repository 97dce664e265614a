import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { EDGE_SCRIPTS } from "../components/edge";
import { healthGate } from "../components/edge/gate";
import { dockerSshOpts } from "../components/edge/host";
import { item } from "./helpers/assert";
import { edgeConfigWith } from "./helpers/config";

/**
 * The gate during `pulumi up` (not preview): under the SDK's mocks with preview off, it invokes
 * the command provider's local `run` with the ssh command and the gate script, after every
 * container. Its own process: the SDK's mock state is global.
 */
/** A resource of the container's type for the mocks to create; the gate only needs it as a dependency. */
class StandInContainer extends pulumi.CustomResource {
  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super("docker:index/container:Container", name, {}, opts);
  }
}

describe("edge deploy gate during up", () => {
  after(() =>
    fs.rmSync(path.join(os.userInfo().homedir, `.ssh/pulumi-edge/gate-test-${process.pid}`), {
      recursive: true,
      force: true,
    }),
  );

  it("invokes command:local:run after the containers, piping health-gate.sh to the Pi over pinned ssh", async () => {
    const calls: pulumi.runtime.MockCallArgs[] = [];
    const created: string[] = [];
    await pulumi.runtime.setMocks(
      {
        // Creating a container takes a while: a gate that did not wait for it would run first.
        newResource: async (args) => {
          await new Promise((resolve) => setTimeout(resolve, 200));
          created.push(args.name);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => {
          calls.push(args);
          assert.ok(created.includes("app"), "the gate runs only once the container exists");
          return { stdout: "health-gate: answered", stderr: "" };
        },
      },
      "platform",
      `gate-test-${process.pid}`,
      false,
    );
    const config = edgeConfigWith({ host: "pi.example.test", port: 2222, user: "pi" });
    const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
    const container = new StandInContainer("app", { parent });
    const sshOptions = dockerSshOpts(config, `gate-test-${process.pid}`);
    const stdout = await new Promise((resolve) => healthGate(parent, config, sshOptions, [container]).apply(resolve));

    assert.equal(stdout, "health-gate: answered");
    assert.equal(calls.length, 1);
    const call = item(calls, 0, "invokes");
    assert.equal(call.token, "command:local:run");
    assert.equal(call.inputs.stdin, EDGE_SCRIPTS["health-gate.sh"]);
    const command = call.inputs.command as string;
    // The pinned key travels in the options (no known_hosts file anywhere).
    assert.match(
      command,
      /^'ssh' '-o' 'StrictHostKeyChecking=yes' '-o' 'UserKnownHostsFile=none' '-o' 'GlobalKnownHostsFile=none' '-o' 'KnownHostsCommand=\/bin\/echo \[pi\.example\.test\]:2222 ssh-ed25519 AAAA/,
    );
    assert.match(
      command,
      /'-p' '2222' 'pi@pi\.example\.test' 'sudo env EDGE_HOST=pi\.example\.test EDGE_APP_CONTAINER=edge-app .* bash -s'$/,
    );
  });
});
