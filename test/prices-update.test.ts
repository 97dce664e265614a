import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { GetProductsCommand, GetProductsCommandOutput } from "@aws-sdk/client-pricing";
import { parsePrices, PRICES_FILE, type Price, type PriceQuery, type PricesFile } from "../cost/prices";
import { classesOf, figureRefs, getFigure, renderPricesFile } from "../tools/prices/file";
import { describeQuery, fetchPrice, MAX_PAGES, PriceListError, type PricingApi } from "../tools/prices/pricelist";
import { CLASS_FIGURES, FIXED_FIGURES, specFor, type FetchedFigure } from "../tools/prices/queries";
import { notYetFromPriceList, refreshPrices, RefreshError, renderChanges } from "../tools/prices/refresh";
import { runPricesUpdate, type PricingClientOptions } from "../tools/prices/run-update";
import { entry, item } from "./helpers/assert";
import { PROJECT_DIR } from "./helpers/program";
import { spawnAsync, type Finished } from "./helpers/tools";

const FIXTURES = path.join(__dirname, "fixtures", "pricelist");
const TODAY = "2026-11-29";

/** A recorded-shape GetProducts response from test/fixtures/pricelist (its "$comment" says what it is). */
function recorded(name: string): GetProductsCommandOutput {
  const { $comment, ...output } = JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as Record<
    string,
    unknown
  >;
  assert.match(String($comment), /^Recorded-shape fixture, not a real capture/);
  return { ...output, $metadata: {} } as GetProductsCommandOutput;
}

/** A PricingApi whose `send` answers from `answer` and records every request: no network. */
function fakeApi(answer: (input: GetProductsCommand["input"]) => GetProductsCommandOutput) {
  const requests: GetProductsCommand["input"][] = [];
  const api: PricingApi = {
    send: async (command) => {
      requests.push(command.input);
      return answer(command.input);
    },
  };
  return { api, requests };
}

/** A file's us-east-1 table, or the test fails naming the regions it has. */
const usEast1 = (file: PricesFile) => entry(file.regions, "us-east-1", "regions");
const committed = (): PricesFile => parsePrices(fs.readFileSync(PRICES_FILE, "utf8"));
const ec2Spec = CLASS_FIGURES.ec2;
const spec = (path: string) => FIXED_FIGURES[path] as FetchedFigure;

describe("prices:update reads the Price List", () => {
  it("follows NextToken over every page, sends the query as GetProducts filters, and reads OnDemand → priceDimensions → pricePerUnit.USD", async () => {
    const pages = [recorded("ec2-t4g-nano.page-1.json"), recorded("ec2-t4g-nano.page-2.json")];
    const { api, requests } = fakeApi((input) => (input.NextToken ? pages[1] : pages[0]) as GetProductsCommandOutput);
    const query = ec2Spec.query("us-east-1", "t4g.nano");
    const price = await fetchPrice(api, ec2Spec, query);
    assert.equal(price.usd, 0.0042);
    assert.equal(price.apiUnit, "Hrs");
    assert.equal(price.sku, "Q8HGTT8Y5C4BM3QF", "two products at one price: the first SKU, not an ambiguity");
    assert.equal(price.description, "$0.0042 per On Demand Linux t4g.nano Instance Hour");
    assert.equal(requests.length, 2);
    assert.equal(item(requests, 0, "requests").NextToken, undefined);
    assert.equal(item(requests, 1, "requests").NextToken, "eyJwYWdlIjoyfQ==");
    for (const request of requests) {
      assert.equal(request.ServiceCode, "AmazonEC2");
      assert.equal(request.FormatVersion, "aws_v1");
      assert.equal(request.MaxResults, 100);
      assert.deepEqual(Object.fromEntries((request.Filters ?? []).map((f) => [f.Field, `${f.Type} ${f.Value}`])), {
        regionCode: "TERM_MATCH us-east-1",
        locationType: "TERM_MATCH AWS Region",
        instanceType: "TERM_MATCH t4g.nano",
        operatingSystem: "TERM_MATCH Linux",
        tenancy: "TERM_MATCH Shared",
        preInstalledSw: "TERM_MATCH NA",
        capacitystatus: "TERM_MATCH Used",
        licenseModel: "TERM_MATCH No License required",
      });
    }
  });

  it("a tiered price (S3 Standard) takes the first tier", async () => {
    const { api } = fakeApi(() => recorded("s3-standard-tiered.json"));
    const s3 = spec("s3StandardGbMonth");
    const price = await fetchPrice(api, s3, s3.query("us-east-1", ""));
    assert.equal(price.usd, 0.023);
    assert.match(price.description, /first 50 TB/);
  });

  it("a free tier is not the list price: the first paid tier is taken (CloudWatch alarms)", async () => {
    const { api } = fakeApi(() => recorded("cloudwatch-alarm-free-tier.json"));
    const alarm = spec("cloudwatchAlarmMonth");
    assert.equal((await fetchPrice(api, alarm, alarm.query("us-east-1", ""))).usd, 0.1);
  });

  it("several products at different prices are refused, naming the query and each product", async () => {
    const { api } = fakeApi(() => recorded("rds-db-t4g-micro-ambiguous.json"));
    const rds = CLASS_FIGURES.rdsPostgres;
    const query = rds.query("us-east-1", "db.t4g.micro");
    await assert.rejects(fetchPrice(api, rds, query), (error: Error) => {
      assert.ok(error instanceof PriceListError);
      assert.match(error.message, /^ambiguous: 2 products with different prices/);
      assert.match(error.message, /4KXKBYQ3RGHHPHSE: \$0\.016\/Hrs/);
      assert.match(
        error.message,
        /7T5VC4FCTJ9X3CZ6: \$0\.02\/Hrs "\$0\.020 per RDS db\.t4g\.micro Single-AZ instance hour on Outposts/,
      );
      assert.match(
        error.message,
        /\[query: AmazonRDS databaseEngine=PostgreSQL, deploymentOption=Single-AZ, instanceType=db\.t4g\.micro, licenseModel=No license required, locationType=AWS Region, productFamily=Database Instance, regionCode=us-east-1, usagetype~InstanceUsage:\]$/,
      );
      return true;
    });
  });

  it("no product is an error naming the query", async () => {
    const { api } = fakeApi(() => recorded("empty.json"));
    const nat = spec("natGateway.hour");
    await assert.rejects(
      fetchPrice(api, nat, nat.query("us-east-1", "")),
      /^PriceListError: no product matches \[query: AmazonEC2 productFamily=NAT Gateway, regionCode=us-east-1, usagetype~NatGateway-Hours\]$/,
    );
  });

  it("a price in another unit than the figure's is refused", async () => {
    const { api } = fakeApi(() => recorded("ec2-t4g-nano.page-2.json"));
    const monthly = spec("ebsGp3GbMonth");
    await assert.rejects(
      fetchPrice(api, monthly, monthly.query("us-east-1", "")),
      /price in unit "Hrs", expected "GB-Mo" or "GB-month" or "GB-Month"/,
    );
  });

  it("several price dimensions for a figure that is not tiered are refused", async () => {
    const { api } = fakeApi(() => recorded("s3-standard-tiered.json"));
    const ecr = spec("ecrGbMonth");
    await assert.rejects(
      fetchPrice(api, ecr, ecr.query("us-east-1", "")),
      /product WP9ANXZGBYYSGJEA has 3 on-demand prices .* and the figure is not tiered/,
    );
  });

  it("a query that pages on and on is stopped as too loose", async () => {
    const page = { ...recorded("ec2-t4g-nano.page-1.json"), NextToken: "again" };
    const { api, requests } = fakeApi(() => page);
    await assert.rejects(
      fetchPrice(api, ec2Spec, ec2Spec.query("us-east-1", "t4g.nano")),
      /more than 10 pages of products: the query is too loose/,
    );
    assert.equal(requests.length, MAX_PAGES);
  });
});

/** A product answering a request at `usd` in the figure's first API unit, in the response's own shape. */
function answerAt(usd: number, unit: string): GetProductsCommandOutput {
  const sku = `SKU${Math.round(usd * 1e6)}`;
  const entry = {
    product: { sku, productFamily: "any", attributes: {} },
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          priceDimensions: {
            [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {
              unit,
              beginRange: "0",
              endRange: "Inf",
              description: `$${usd} per ${unit}`,
              pricePerUnit: { USD: usd.toFixed(10) },
            },
          },
        },
      },
    },
  };
  return { PriceList: [JSON.stringify(entry)], $metadata: {} };
}

/** The committed figure whose query is the request's (region swapped for `asRegion`), or undefined. */
function committedFigureFor(file: PricesFile, input: GetProductsCommand["input"], asRegion = "us-east-1") {
  // Another region's exact usage types carry that region's prefix ("EU-WebACLV2", "EU-LoadBalancerUsage").
  const unprefixed = (f: { type?: string; field?: string; value?: string }) =>
    f.field === "usagetype" && f.type === "TERM_MATCH" ? f.value?.replace(/^[A-Z0-9]+-/, "") : f.value;
  const key = (q: { serviceCode?: string; filters: { type?: string; field?: string; value?: string }[] }) =>
    JSON.stringify([q.serviceCode, q.filters.map((f) => [f.type, f.field, unprefixed(f)])]);
  const wanted = key({
    serviceCode: input.ServiceCode,
    filters: (input.Filters ?? []).map((f) => ({
      type: f.Type,
      field: f.Field,
      value: f.Field === "regionCode" ? asRegion : f.Value,
    })),
  });
  for (const table of Object.values(file.regions))
    for (const ref of figureRefs(classesOf(table))) {
      const figure = getFigure(table, ref) as Price | undefined;
      if (figure?.query && key(figure.query) === wanted) return { ref, figure };
    }
  return undefined;
}

const apiUnitOf = (ref: { path: string; name?: string }) =>
  (specFor(ref.path, ref.name) as FetchedFigure).apiUnits[0] ?? "";

describe("prices:update refreshes the file", () => {
  const current = committed();
  const fetchable = Object.values(current.regions).flatMap((table) =>
    figureRefs(classesOf(table)).filter((ref) => (getFigure(table, ref) as Price).query !== undefined),
  );

  /** The Price List as the committed file has it, except t4g.nano, which went up; other regions 10 % dearer. */
  const priceList = () =>
    fakeApi((input) => {
      const region = input.Filters?.find((f) => f.Field === "regionCode")?.Value ?? "";
      const found = committedFigureFor(current, input);
      assert.ok(found, `a query the committed file does not have: ${JSON.stringify(input)}`);
      const base = found.ref.name === "t4g.nano" ? 0.0046 : found.figure.usd;
      return answerAt(region === "us-east-1" ? base : Math.round(base * 1.1 * 1e6) / 1e6, apiUnitOf(found.ref));
    });

  it("asks each figure's own query once, dates and sources what it fetched, keeps assumptions, and reports the changes", async () => {
    const { api, requests } = priceList();
    const result = await refreshPrices({ current, api, apiRegion: "us-east-1", today: TODAY });
    assert.equal(requests.length, fetchable.length, "one request per figure with a query");
    assert.equal(result.fetched, fetchable.length);
    assert.deepEqual(result.changes, [
      {
        figure: 'us-east-1 ec2["t4g.nano"]',
        before: { usd: 0.0042, unit: "instance-hour" },
        after: { usd: 0.0046, unit: "instance-hour" },
      },
    ]);
    assert.equal(renderChanges(result.changes), 'us-east-1 ec2["t4g.nano"]: $0.0042 → $0.0046 per instance-hour');
    const table = usEast1(result.file);
    const nano = entry(table.ec2, "t4g.nano", "ec2");
    assert.equal(nano.date, TODAY);
    assert.match(
      nano.source,
      /^AWS Price List Query API, pricing:GetProducts at https:\/\/api\.pricing\.us-east-1\.amazonaws\.com/,
    );
    assert.equal(nano.sku, "SKU4600");
    assert.deepEqual(nano.query, entry(usEast1(current).ec2, "t4g.nano", "ec2").query);
    assert.equal(nano.note, undefined, "the old 'unverified' note goes once the API is the source");
    assert.equal(table.elasticache["cache.r6g.large"]?.note, CLASS_FIGURES.elasticache.note);
    assert.deepEqual(table.spotDiscount, usEast1(current).spotDiscount, "an assumption is kept as it is");
    assert.deepEqual(table.gatewayEndpoint, usEast1(current).gatewayEndpoint);
    assert.deepEqual(notYetFromPriceList(result.file), [], "after a refresh every figure with a query is from the API");
    const handEdited = structuredClone(result.file);
    const edited = usEast1(handEdited).natGateway.hour;
    edited.source = "https://aws.amazon.com/vpc/pricing/";
    assert.deepEqual(notYetFromPriceList(handEdited), ["us-east-1 natGateway.hour"]);
  });

  it("writes a file cost/prices.ts loads, keys sorted, in the one form the tool writes", async () => {
    const { api } = priceList();
    const { file } = await refreshPrices({ current, api, apiRegion: "us-east-1", today: TODAY });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-"));
    const written = path.join(dir, "prices.json");
    fs.writeFileSync(written, renderPricesFile(file));
    const text = fs.readFileSync(written, "utf8");
    const reread = parsePrices(text, written);
    assert.equal(renderPricesFile(reread), text, "rendering is stable");
    // The text's own order (parsePrices returns the schema's order).
    const raw = JSON.parse(text) as { regions: Record<string, Record<string, object>> };
    const sorted = (keys: string[]) => assert.deepEqual(keys, [...keys].sort());
    sorted(Object.keys(raw.regions["us-east-1"] ?? {}));
    sorted(Object.keys(raw.regions["us-east-1"]?.ec2 ?? {}));
    sorted(Object.keys(raw.regions["us-east-1"]?.natGateway ?? {}));
    assert.match(text, /\n +\{ "field": "instanceType", "type": "TERM_MATCH", "value": "t4g\.nano" \},\n/);
    fs.rmSync(dir, { recursive: true });
  });

  it("--region adds a region with every figure (assumptions copied) and --add a class in every region (an RDS class Single-AZ and Multi-AZ)", async () => {
    const { api } = priceList();
    const delegating: PricingApi = {
      send: async (command) =>
        command.input.Filters?.some((f) => f.Field === "instanceType" && f.Value === "t4g.xlarge")
          ? answerAt(0.1344, "Hrs")
          : api.send(command),
    };
    const { file, changes } = await refreshPrices({
      current,
      api: delegating,
      apiRegion: "us-east-1",
      today: TODAY,
      addRegions: ["eu-west-1"],
      addClasses: [
        { section: "ec2", name: "t4g.xlarge" },
        { section: "rdsPostgres", name: "db.t4g.small" },
      ],
    });
    assert.deepEqual(Object.keys(file.regions), ["eu-west-1", "us-east-1"]);
    const eu = file.regions["eu-west-1"];
    assert.ok(eu);
    assert.deepEqual(Object.keys(eu.ec2).sort(), Object.keys(usEast1(file).ec2).sort());
    assert.equal(eu.ec2["m7g.large"]?.usd, Math.round(0.0816 * 1.1 * 1e6) / 1e6);
    assert.equal(eu.ec2["m7g.large"]?.query?.filters.find((f) => f.field === "regionCode")?.value, "eu-west-1");
    assert.equal(eu.waf.webAclMonth.query?.filters.find((f) => f.field === "usagetype")?.value, "EU-WebACLV2");
    const usagetype = (q: PriceQuery | undefined) => q?.filters.find((f) => f.field === "usagetype")?.value;
    assert.equal(usagetype(eu.loadBalancerHour.application.query), "EU-LoadBalancerUsage");
    assert.equal(usagetype(usEast1(file).loadBalancerHour.application.query), "LoadBalancerUsage");
    assert.deepEqual(eu.spotDiscount, usEast1(current).spotDiscount);
    assert.equal(usEast1(file).ec2["t4g.xlarge"]?.usd, 0.1344);
    assert.deepEqual(Object.keys(eu.rdsPostgresMultiAz).sort(), Object.keys(eu.rdsPostgres).sort());
    assert.equal(
      eu.rdsPostgresMultiAz["db.t4g.small"]?.query?.filters.find((f) => f.field === "deploymentOption")?.value,
      "Multi-AZ",
    );
    assert.ok(changes.some((c) => c.figure === "eu-west-1 natGateway.hour" && c.before === undefined));
    assert.ok(changes.some((c) => c.figure === 'us-east-1 ec2["t4g.xlarge"]' && c.after.usd === 0.1344));
  });

  it("lists every figure it could not refresh at once, each with its query, and writes nothing", async () => {
    const { api } = priceList();
    const failing: PricingApi = {
      send: async (command) =>
        command.input.ServiceCode === "AmazonElastiCache" ? recorded("empty.json") : api.send(command),
    };
    await assert.rejects(
      refreshPrices({ current, api: failing, apiRegion: "us-east-1", today: TODAY }),
      (error: Error) => {
        assert.ok(error instanceof RefreshError);
        const caches = Object.keys(usEast1(current).elasticache);
        assert.equal(error.problems.length, 2 * caches.length, "each node type, Redis OSS and Valkey");
        assert.match(
          item(error.problems, 0, "problems"),
          /^us-east-1 elasticache\["cache\.r6g\.large"\]: no product matches \[query: AmazonElastiCache cacheEngine=Redis, instanceType=cache\.r6g\.large, locationType=AWS Region, productFamily=Cache Instance, regionCode=us-east-1, usagetype~NodeUsage:\]$/,
        );
        return true;
      },
    );
  });

  it("a region whose usage-type prefix is unknown fails its WAF and load balancer figures by name, not the run", async () => {
    const { api } = priceList();
    await assert.rejects(
      refreshPrices({ current, api, apiRegion: "us-east-1", today: TODAY, addRegions: ["ap-southeast-7"] }),
      (error: Error) => {
        assert.ok(error instanceof RefreshError);
        assert.deepEqual(
          error.problems.map((p) => p.split(":")[0]),
          [
            "ap-southeast-7 loadBalancerHour.application",
            "ap-southeast-7 loadBalancerHour.network",
            "ap-southeast-7 waf.webAclMonth",
            "ap-southeast-7 waf.ruleMonth",
          ],
        );
        assert.match(item(error.problems, 0, "problems"), /no usage-type prefix known for region "ap-southeast-7"/);
        return true;
      },
    );
  });

  it("an SDK failure that is not about one figure (credentials, network) stops the run as it is", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: pricing:GetProducts"), {
      name: "AccessDeniedException",
    });
    const api: PricingApi = { send: async () => Promise.reject(denied) };
    await assert.rejects(refreshPrices({ current, api, apiRegion: "us-east-1", today: TODAY }), denied);
  });
});

describe("the committed prices file", () => {
  const text = fs.readFileSync(PRICES_FILE, "utf8");
  const file = committed();

  it("is in the form prices:update writes (a refresh shows only real changes)", () => {
    assert.equal(renderPricesFile(file), text);
  });

  it("carries, on each figure the Price List has, exactly the query prices:update asks; the others are the kept assumptions and zeros", () => {
    for (const [region, table] of Object.entries(file.regions))
      for (const ref of figureRefs(classesOf(table))) {
        const figure = getFigure(table, ref) as Price & { query?: PriceQuery };
        const figureSpec = specFor(ref.path, ref.name);
        assert.ok(figureSpec, `${region} ${ref.path} ${ref.name ?? ""} has a spec`);
        if (figureSpec.kind === "fetched")
          assert.deepEqual(
            figure.query,
            figureSpec.query(region, ref.name ?? ""),
            `${region} ${ref.path} ${ref.name ?? ""}`,
          );
        else assert.equal(figure.query, undefined, `${region} ${ref.path}: ${figureSpec.why}`);
      }
  });

  it("describes queries the way a reader can paste back", () => {
    const query = usEast1(file).natGateway.processedGb.query;
    assert.ok(query);
    assert.equal(
      describeQuery(query),
      "AmazonEC2 productFamily=NAT Gateway, regionCode=us-east-1, usagetype~NatGateway-Bytes",
    );
  });
});

/** `npm run prices:update -- ARGS` in this process (the CLI's own code): its exit code and what it printed. */
async function runUpdate(args: string[], clientOptions: PricingClientOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runPricesUpdate(
    args,
    { out: (line) => out.push(line), err: (line) => err.push(line) },
    clientOptions,
  );
  return { status, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.map((l) => `${l}\n`).join("") };
}

/** Throwaway credentials and the loopback endpoint, given to the real SDK client (not through the environment). */
const loopbackClient = (endpoint: string): PricingClientOptions => ({
  endpoint,
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  maxAttempts: 1,
});

describe("npm run prices:update (the CLI)", () => {
  it("--help prints the usage and exits 0", async () => {
    const result = await runUpdate(["--help"]);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /pricing:GetProducts/);
  });

  it("bad flags exit 2 with one line per problem and no stack trace", async () => {
    const unknown = await runUpdate(["--bogus"]);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr.trim(), "Unknown option '--bogus' (npm run prices:update -- --help)");
    const bad = await runUpdate([
      "--add",
      "ec2",
      "--region",
      "mars",
      "--region",
      "ap-southeast-7",
      "--api-region",
      "eu-west-1",
    ]);
    assert.equal(bad.status, 2);
    assert.deepEqual(
      bad.stderr
        .trim()
        .split("\n")
        .map((l) => l.split(":")[0]),
      ["--region", "--region", "--add", "--api-region"],
    );
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
  });

  it("a missing or broken prices file exits 2 naming the file and the key", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-cli-"));
    try {
      const missing = await runUpdate(["--check", "--file", path.join(dir, "none.json")]);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /--file: cannot read .*none\.json \(ENOENT\)/);
      const broken = path.join(dir, "broken.json");
      const data = JSON.parse(fs.readFileSync(PRICES_FILE, "utf8")) as PricesFile;
      (data.regions["us-east-1"]?.ec2["t4g.nano"] as { usd: unknown }).usd = "cheap";
      fs.writeFileSync(broken, JSON.stringify(data));
      const result = await runUpdate(["--check", "--file", broken]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /broken\.json: regions\.us-east-1\.ec2\.t4g\.nano\.usd: /);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("without AWS credentials (a real process: the SDK's default chain reads its environment) it exits 2 saying how to give them, before any price is changed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-cli-"));
    const copy = path.join(dir, "prices.json");
    fs.copyFileSync(PRICES_FILE, copy);
    try {
      const result = spawnSync(
        process.execPath,
        ["--no-warnings", "--import", "tsx", "tools/prices/update.ts", "--file", copy],
        {
          cwd: PROJECT_DIR,
          encoding: "utf8",
          timeout: 60_000,
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: "",
            AWS_SECRET_ACCESS_KEY: "",
            AWS_SESSION_TOKEN: "",
            AWS_PROFILE: "",
            AWS_CONFIG_FILE: path.join(dir, "no-config"),
            AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "no-credentials"),
            AWS_EC2_METADATA_DISABLED: "true",
            AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
            AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
            AWS_WEB_IDENTITY_TOKEN_FILE: "",
          },
        },
      );
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /^no AWS credentials: .*AWS_PROFILE/m);
      assert.equal(fs.readFileSync(copy, "utf8"), fs.readFileSync(PRICES_FILE, "utf8"));
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

/**
 * The Price List Query API on loopback: the real SDK client (JSON 1.1 protocol, signing, retries,
 * the credential chain) talks to it through AWS_ENDPOINT_URL_PRICING, and it answers GetProducts
 * with recorded-shape pages from the committed queries (t4g.nano dearer), two pages per answer.
 */
async function pricelistServer(deny = false) {
  const current = committed();
  const targets: string[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      targets.push(String(request.headers["x-amz-target"]));
      const reply = (status: number, data: unknown) => {
        response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify(data));
      };
      if (deny)
        return reply(400, {
          __type: "AccessDeniedException",
          Message: "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: pricing:GetProducts",
        });
      const input = JSON.parse(body) as GetProductsCommand["input"];
      const found = committedFigureFor(current, input);
      if (!found) return reply(200, { FormatVersion: "aws_v1", PriceList: [] });
      if (!input.NextToken) return reply(200, { FormatVersion: "aws_v1", PriceList: [], NextToken: "page-2" });
      const usd = found.ref.name === "t4g.nano" ? 0.0046 : found.figure.usd;
      return reply(200, { FormatVersion: "aws_v1", PriceList: answerAt(usd, apiUnitOf(found.ref)).PriceList });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    // Kept-alive connections too: close() alone waits for them to time out.
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

/** The CLI as a user runs it, with throwaway credentials and the loopback endpoint; asynchronous, so the server answers. */
function runCli(args: string[], endpoint: string): Promise<Finished> {
  return spawnAsync(process.execPath, ["--no-warnings", "--import", "tsx", "tools/prices/update.ts", ...args], {
    cwd: PROJECT_DIR,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_PRICING: endpoint,
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_PROFILE: "",
      AWS_MAX_ATTEMPTS: "1",
    },
  });
}

describe("npm run prices:update through the real SDK client (Price List on loopback)", () => {
  it("--check reports the price that moved and exits 1 (the CLI as a user runs it, endpoint and credentials from its environment); without it the file is written, dated, from the API", async () => {
    const server = await pricelistServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-e2e-"));
    const copy = path.join(dir, "prices.json");
    fs.copyFileSync(PRICES_FILE, copy);
    try {
      const check = await runCli(["--check", "--file", copy], server.url);
      assert.equal(check.status, 1, check.stderr);
      assert.match(check.stdout, /^us-east-1 ec2\["t4g\.nano"\]: \$0\.0042 → \$0\.0046 per instance-hour$/m);
      assert.match(check.stdout, /1 of \d+ fetched figures differ .*; nothing written/);
      assert.equal(fs.readFileSync(copy, "utf8"), fs.readFileSync(PRICES_FILE, "utf8"), "--check writes nothing");
      assert.ok(server.targets.length > 0 && server.targets.every((t) => t === "AWSPriceListService.GetProducts"));

      const write = await runUpdate(["--file", copy], loopbackClient(server.url));
      assert.equal(write.status, 0, write.stderr);
      assert.match(write.stdout, /wrote .*prices\.json: \d+ figures from the Price List dated \d{4}-\d{2}-\d{2}/);
      const written = parsePrices(fs.readFileSync(copy, "utf8"), copy);
      const nano = usEast1(written).ec2["t4g.nano"];
      assert.equal(nano?.usd, 0.0046);
      assert.equal(nano?.date, new Date().toISOString().slice(0, 10));
      assert.match(nano?.source ?? "", /^AWS Price List Query API/);
      assert.equal(renderPricesFile(written), fs.readFileSync(copy, "utf8"), "written in the tool's one form");
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("credentials without pricing:GetProducts exit 2 naming the permission", async () => {
    const server = await pricelistServer(true);
    try {
      const result = await runUpdate(["--check"], loopbackClient(server.url));
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr.trim(),
        "AWS refused the call (AccessDeniedException): the credentials must be valid and allow pricing:GetProducts",
      );
    } finally {
      await server.close();
    }
  });
});
