import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import {
  DOCKER_LOG_GLOB,
  emitEdgeAlloyConfig,
  JOURNAL_DIR,
  LOG_AGENT_CONTAINER,
  LOG_AGENT_IMAGE,
  LOG_AGENT_SECRET_FILES,
  renderEdgeAlloyConfig,
} from "../components/edge/logs";
import { AGENT_SECRET_FILES } from "../components/edge/metrics";
import { EDGE_PATHS } from "../components/edge/scripts";
import { CLUSTER_IMAGES } from "../components/images";
import { siteLogsPushUrl } from "../components/monitoring/remote-write";
import { sitePort } from "../components/monitoring/write-gateway";
import { environmentDefaults } from "../config";
import { emitEdge } from "../tools/plan/emit-edge";
import { blockBodies, COMPONENT_EXPORTS, COMPONENTS, parseAlloy } from "./helpers/alloy";
import { loadEdge } from "./helpers/config";
import { CLOUD_STACK_OF, EDGE_STACKS, ofType, planFor, type PlannedResource } from "./helpers/program";
import { asRecords, input, inputString } from "./helpers/inputs";

/**
 * The Pi's log agent: its Alloy configuration parsed structurally against Alloy's component
 * reference (no `alloy` binary here: neither Debian nor npm packages it, and Fluent Bit is not in
 * Debian either), the same text in the container and in `--emit`, and the container under the
 * plan: pinned image, read-only log mounts, no Docker socket, one capability, egress only.
 */
const URL = "https://api.example.com/api/v1/namespaces/monitoring/services/edge-write-gateway:8080/proxy/api/v1/write";
const config = renderEdgeAlloyConfig({ site: "lab", environment: "dev", pushUrl: siteLogsPushUrl(URL, "lab") });

describe("the Pi's Alloy configuration", () => {
  const { blocks, references } = parseAlloy(config);

  it("reads the journal and the containers' logs and pushes both to one Loki endpoint; every reference resolves", () => {
    assert.deepEqual(
      [...blocks.keys()],
      [
        "loki.relabel.journal",
        "loki.source.journal.journal",
        "local.file_match.containers",
        "loki.source.file.containers",
        "loki.process.containers",
        "loki.write.cloud",
      ],
    );
    for (const reference of references) {
      const exported = reference.split(".").pop() as string;
      const id = reference.slice(0, -exported.length - 1);
      assert.ok(blocks.has(id), `${reference}: ${id} is declared`);
      assert.ok(COMPONENT_EXPORTS[blocks.get(id) as string]?.includes(exported), `${reference} is an export`);
    }
    // Every component but the sources is consumed by the next one.
    for (const id of blocks.keys())
      if (!id.startsWith("loki.source."))
        assert.ok(
          references.some((r) => r.startsWith(`${id}.`)),
          `${id} used`,
        );
    assert.equal(references.filter((r) => r === "loki.write.cloud.receiver").length, 2, "both sources reach Loki");
  });

  it("uses only arguments and blocks Alloy's reference documents for each component (tls_config included)", () => {
    const bodies = blockBodies(config);
    assert.equal(bodies.length, blocks.size);
    for (const { component, attributes, blocks: nested } of bodies) {
      const doc = COMPONENTS[component];
      assert.ok(doc, component);
      for (const attribute of attributes) assert.ok(doc.arguments.includes(attribute), `${component}: ${attribute}`);
      for (const [block, inner] of nested) {
        assert.ok(block in doc.blocks, `${component}: ${block} is a block`);
        for (const attribute of inner)
          assert.ok(doc.blocks[block]?.includes(attribute), `${component} > ${block}: ${attribute}`);
      }
    }
    // One level deeper than blockBodies reads: endpoint > tls_config.
    const tls = /^ {4}tls_config \{\n([\s\S]*?)^ {4}\}$/m.exec(config)?.[1] ?? "";
    const tlsArguments = [...tls.matchAll(/^ {6}(\w+)\s+=/gm)].map((m) => m[1]);
    assert.deepEqual(tlsArguments, ["ca_file"]);
    for (const a of tlsArguments) assert.ok(COMPONENTS["loki.write"]?.blocks["endpoint.tls_config"]?.includes(a ?? ""));
  });

  it("labels: site and environment on every line, unit and level from the journal, container_id from the file's directory", () => {
    assert.match(config, /external_labels = \{\n\s+site\s+= "lab",\n\s+environment = "dev",\n\s+\}/);
    assert.match(config, /source_labels = \["__journal__systemd_unit"\]\n\s+target_label\s+= "unit"/);
    assert.match(config, /source_labels = \["__journal_priority_keyword"\]\n\s+target_label\s+= "level"/);
    const expression = /expression = "(.*)"/.exec(config)?.[1] ?? "";
    const id = "0123456789ab".repeat(5) + "cdef";
    const match = new RegExp(JSON.parse(`"${expression}"`).replace("(?P<", "(?<")).exec(
      `/var/lib/docker/containers/${id}/${id}-json.log`,
    );
    assert.equal(match?.groups?.container_id, id.slice(0, 12), "the id as `docker ps` shows it");
    assert.ok(config.includes(`"__path__" = "${DOCKER_LOG_GLOB}"`));
    assert.match(config, new RegExp(`path\\s+= "${JOURNAL_DIR}"`));
    assert.doesNotMatch(config, /tenant_id|X-Scope-OrgID/, "the tenant is the gateway's business, not the Pi's");
  });

  it("pushes to the site's own gateway port with the site's token file and the cluster's CA", () => {
    assert.ok(
      config.includes(
        `url               = "https://api.example.com/api/v1/namespaces/monitoring/services/edge-write-gateway:${sitePort("lab")}/proxy/loki/api/v1/push"`,
      ),
    );
    assert.match(config, new RegExp(`bearer_token_file = "${LOG_AGENT_SECRET_FILES.token}"`));
    assert.match(config, new RegExp(`ca_file = "${LOG_AGENT_SECRET_FILES.ca}"`));
    // The metrics agent's files, under another mount point: one credential per site.
    assert.equal(path.basename(LOG_AGENT_SECRET_FILES.token), path.basename(AGENT_SECRET_FILES.token));
    assert.equal(path.basename(LOG_AGENT_SECRET_FILES.ca), path.basename(AGENT_SECRET_FILES.ca));
  });

  it("--emit writes the same text the container gets (with the real site port)", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "edge-logs-emit-"));
    const edgeConfig = loadEdge({
      values: {
        "platform:kind": "edge",
        "platform:environment": "prod",
        "platform:edge": JSON.stringify({
          site: "shop",
          host: "edge.test",
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM251zLcH9UeGDYfDXNfkP+vbG5KPanbtNLH2YztNigV",
          appImage: `edge-app@sha256:${"a".repeat(64)}`,
        }),
      },
      project: "platform",
      stack: "edge-prod",
    });
    const written = emitEdge(out, edgeConfig);
    assert.ok(written.includes("edge/alloy/config.alloy"));
    const emitted = fs.readFileSync(path.join(out, "edge/alloy/config.alloy"), "utf8");
    assert.equal(emitted, emitEdgeAlloyConfig("shop", "prod"));
    assert.ok(emitted.includes(`edge-write-gateway:${sitePort("shop")}/proxy/loki/api/v1/push`));
    fs.rmSync(out, { recursive: true, force: true });
  });
});

describe("the Pi's log agent container (plan)", () => {
  for (const stack of EDGE_STACKS) {
    it(`${stack}: pinned Alloy, read-only logs, no Docker socket, DAC_READ_SEARCH only, egress only, the config the renderer gives`, () => {
      const plan = planFor(stack);
      const agent = ofType(plan, "docker:index/container:Container").find(
        (c) => c.inputs.name === LOG_AGENT_CONTAINER,
      ) as PlannedResource;
      assert.ok(agent, "the log agent runs");
      const env = CLOUD_STACK_OF[stack];
      assert.equal(agent.inputs.image, CLUSTER_IMAGES.alloy);
      assert.equal(LOG_AGENT_IMAGE, CLUSTER_IMAGES.alloy, "one Alloy build for the cluster and the Pis");
      assert.match(agent.inputs.image, /^grafana\/alloy:v[\d.]+@sha256:[a-f0-9]{64}$/);
      assert.equal(agent.inputs.platform, "linux/arm64");
      assert.equal(agent.inputs.memory, environmentDefaults[env].edge.memoryMb.logAgent);
      assert.deepEqual(agent.inputs.capabilities, { drops: ["ALL"], adds: ["DAC_READ_SEARCH"] });
      assert.deepEqual(agent.inputs.securityOpts, ["no-new-privileges:true"]);
      assert.deepEqual(
        asRecords(input(agent, "networksAdvanced")).map((n) => n.name),
        ["edge-egress"],
      );
      assert.equal(agent.inputs.ports, undefined, "publishes nothing");
      const volumes = agent.inputs.volumes as { hostPath: string; containerPath: string; readOnly?: boolean }[];
      assert.ok(!JSON.stringify(agent.inputs).includes("docker.sock"), "no Docker API: it would be root on the Pi");
      for (const host of [JOURNAL_DIR, "/var/lib/docker/containers", "/etc/machine-id", EDGE_PATHS.metricsSecrets])
        assert.equal(volumes.find((v) => v.hostPath === host)?.readOnly, true, `${host} read-only`);
      assert.deepEqual(
        volumes.filter((v) => !v.readOnly).map((v) => v.hostPath),
        [`${EDGE_PATHS.root}/alloy`],
        "it writes only its positions",
      );
      const content = inputString(agent, "uploads.0.content");
      const site = stack === "edge-dev" ? "lab" : "shop";
      assert.match(content, new RegExp(`site\\s+= "${site}",\\n\\s+environment = "${env}"`));
      assert.ok(content.includes(`edge-write-gateway:${sitePort(site)}/proxy/loki/api/v1/push`));
      assert.equal(input(agent, "healthcheck.tests.0"), "CMD");
      assert.ok(
        agent.options.dependsOn?.some((d) => d.endsWith("-edge-metrics-token")),
        "starts once the token is on the Pi",
      );
    });
  }
});
