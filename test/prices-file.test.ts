import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { NAT_INSTANCE_TYPE } from "../components/nat-instance";
import { ConfigError, environmentDefaults, loadConfig } from "../config";
import { parsePrices, PRICES, PRICES_FILE, pricesFor } from "../cost/prices";
import { entry, item } from "./helpers/assert";
import { sourceFor } from "./helpers/config";

const SECTIONS = ["ec2", "rdsPostgres", "elasticache"] as const;
/** The config key each class section prices. */
const KEYS = {
  ec2: { key: "platform:cluster", field: "instanceTypes", list: true },
  rdsPostgres: { key: "platform:database", field: "instanceClass", list: false },
  elasticache: { key: "platform:cache", field: "nodeType", list: false },
} as const;

/** The problems loading the dev stack's config with `region` and one section's class set to `name`. */
function problemsWith(region: string, section: (typeof SECTIONS)[number], name: string): string[] {
  const { key, field, list } = KEYS[section];
  const stack = sourceFor("dev");
  const current = stack.values[key];
  const object = typeof current === "string" ? (JSON.parse(current) as Record<string, unknown>) : {};
  const patched = sourceFor("dev", { "aws:region": region, [key]: { ...object, [field]: list ? [name] : name } });
  try {
    loadConfig(patched);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
}

const priceProblems = (problems: string[]) => problems.filter((p) => /the cost estimate prices/.test(p));

describe("the committed price file covers what the config accepts", () => {
  it("loads, with at least the stacks' region", () => {
    assert.ok(Object.hasOwn(PRICES, "us-east-1"));
    assert.ok(Object.isFrozen(entry(PRICES, "us-east-1", "PRICES").ec2), "the table cannot be changed at run time");
  });

  it("prices the same classes in every region (a class is accepted in every priced region or in none)", () => {
    const tables = Object.values(PRICES);
    for (const section of SECTIONS) {
      const classes = (t: (typeof tables)[number]) => Object.keys(t[section]).sort();
      for (const table of tables) assert.deepEqual(classes(table), classes(tables[0] ?? table), section);
    }
  });

  it("prices every RDS class both Single-AZ and Multi-AZ, and every cache node type for both engines", () => {
    for (const [region, table] of Object.entries(PRICES)) {
      assert.deepEqual(Object.keys(table.rdsPostgresMultiAz).sort(), Object.keys(table.rdsPostgres).sort(), region);
      assert.deepEqual(Object.keys(table.elasticacheValkey).sort(), Object.keys(table.elasticache).sort(), region);
    }
  });

  it("prices every default class of both environments, the NAT instance and the reference architecture's sizes", () => {
    const wanted = {
      ec2: [...Object.values(environmentDefaults).flatMap((d) => d.cluster.instanceTypes), NAT_INSTANCE_TYPE],
      rdsPostgres: [...Object.values(environmentDefaults).map((d) => d.database.instanceClass), "db.r6g.xlarge"],
      elasticache: [...Object.values(environmentDefaults).map((d) => d.cache.nodeType), "cache.r6g.large"],
    };
    for (const [region, table] of Object.entries(PRICES))
      for (const section of SECTIONS)
        for (const name of wanted[section])
          assert.ok(Object.hasOwn(table[section], name), `${region} ${section} prices ${name}`);
  });

  it("every priced region and class passes the config's price check; anything else fails it naming what is priced", () => {
    for (const [region, table] of Object.entries(PRICES))
      for (const section of SECTIONS)
        for (const name of Object.keys(table[section]))
          assert.deepEqual(priceProblems(problemsWith(region, section, name)), [], `${region} ${section} ${name}`);
    const unpriced = priceProblems(problemsWith("us-east-1", "rdsPostgres", "db.x2g.16xlarge"));
    assert.equal(unpriced.length, 1);
    assert.match(item(unpriced, 0, "price problems"), /db\.t4g\.micro/, "the message lists the priced classes");
    assert.throws(
      () => pricesFor("ap-southeast-7"),
      /priced regions: us-east-1 .*npm run prices:update -- --region ap-southeast-7/,
    );
  });
});

describe("the price file loader", () => {
  it("names every problem of a broken file at once, each by its path", () => {
    const data = JSON.parse(fs.readFileSync(PRICES_FILE, "utf8")) as {
      regions: Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    };
    const table = data.regions["us-east-1"];
    assert.ok(table?.ec2?.["t4g.nano"] && table.natGateway?.hour);
    table.ec2["t4g.nano"].usd = -1;
    delete table.natGateway.hour.date;
    table.natGateway.hour.colour = "blue";
    assert.throws(
      () => parsePrices(JSON.stringify(data), "broken.json"),
      (error: Error) => {
        assert.match(error.message, /^broken\.json: /);
        assert.match(error.message, /regions\.us-east-1\.ec2\.t4g\.nano\.usd: /);
        assert.match(error.message, /regions\.us-east-1\.natGateway\.hour\.date: /);
        assert.match(error.message, /regions\.us-east-1\.natGateway\.hour: .*colour/);
        return true;
      },
    );
    assert.throws(() => parsePrices("{", "cut.json"), /^Error: cut\.json: not JSON/);
  });
});
