import type * as pulumi from "@pulumi/pulumi";

/**
 * The SDK's mocks for the offline plan: every resource "creates" with its inputs echoed back plus
 * the outputs AWS or the provider would compute (ids, ARNs, endpoints), and data-source calls
 * answer with plausible values. Nothing here decides what the program registers; it only lets the
 * program run to the end without a cloud account.
 */
export const MOCK_ACCOUNT_ID = "123456789012";

type State = Record<string, unknown>;

/**
 * The values these mocks invent, as the text output masks them (`<computed>`, `<account>`), so
 * that nothing made up here reads like a real id. The JSON output keeps them: tools parse it.
 */
export function maskMockValues(text: string): string {
  return text
    .replaceAll(MOCK_ACCOUNT_ID, "<account>")
    .replace(
      /\b(vpc-0123456789abcdef0|subnet-(public|private|isolated)-\d|rtb-subnet-\w+-\d|sg-(cluster|nodes)0123456789)\b/g,
      "<computed>",
    )
    .replace(/ABCDEF0123456789(\.gr7)?|abcdefghijkl|abcdef\.use1/g, "<computed>")
    .replace(/mock-[a-z0-9-]+/g, "<computed>");
}

function service(type: string): string {
  const [pkg = type, mod = ""] = type.split(":");
  return pkg === "aws" ? (mod.split("/")[0] ?? mod) : pkg;
}

function physicalName(args: pulumi.runtime.MockResourceArgs): string {
  const i = args.inputs;
  return String(i.name ?? i.bucket ?? i.identifier ?? i.replicationGroupId ?? i.clusterName ?? args.name);
}

/** Outputs a provider computes that the program reads, per resource type. */
function computedOutputs(args: pulumi.runtime.MockResourceArgs, region: string): State {
  const name = physicalName(args);
  const arn = `arn:aws:${service(args.type)}:${region}:${MOCK_ACCOUNT_ID}:${name}`;
  const i = args.inputs;
  switch (args.type) {
    case "aws:rds/instance:Instance":
      return {
        arn,
        address: `${name}.abcdefghijkl.${region}.rds.amazonaws.com`,
        endpoint: `${name}.abcdefghijkl.${region}.rds.amazonaws.com:5432`,
        port: 5432,
        masterUserSecrets: [
          {
            secretArn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:rds!db-${name}`,
            secretStatus: "active",
          },
        ],
        resourceId: `db-${name.toUpperCase()}`,
      };
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return {
        arn,
        primaryEndpointAddress: `master.${name}.abcdef.use1.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${name}.abcdef.use1.cache.amazonaws.com`,
        port: i.port ?? 6379,
      };
    case "aws:ecr/repository:Repository":
      return {
        arn,
        repositoryUrl: `${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/${name}`,
        registryId: MOCK_ACCOUNT_ID,
      };
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      return {
        arn: `arn:aws:s3:::${name}`,
        bucket: name,
        bucketRegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
      };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${args.name}`, keyId: `${args.name}-key-id` };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${name}`, name, uniqueId: `AROA${args.name}` };
    case "aws:iam/policy:Policy":
      return { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/${name}` };
    case "aws:iam/user:User":
      return { arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/${name}`, name };
    case "aws:iam/accessKey:AccessKey":
      return { secret: "mock-secret-access-key" };
    case "aws:rolesanywhere/trustAnchor:TrustAnchor":
      return { arn: `arn:aws:rolesanywhere:${region}:${MOCK_ACCOUNT_ID}:trust-anchor/mock-${args.name}` };
    case "aws:rolesanywhere/profile:Profile":
      return { arn: `arn:aws:rolesanywhere:${region}:${MOCK_ACCOUNT_ID}:profile/mock-${args.name}` };
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: `mock-private-key-${args.name}` };
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: `-----BEGIN CERTIFICATE-----\nmock-${args.name}\n-----END CERTIFICATE-----\n` };
    case "aws:ec2/instance:Instance":
      // Routes to a NAT instance target its primary ENI.
      return { arn, primaryNetworkInterfaceId: `eni-mock-${args.name}`, privateIp: "10.0.200.10" };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${name}` };
    case "aws:acm/certificate:Certificate":
      // ACM's DNS challenge: one CNAME per name, the same one for a name and its wildcard.
      return {
        arn,
        domainValidationOptions: [i.domainName, ...((i.subjectAlternativeNames as string[] | undefined) ?? [])].map(
          (domainName) => {
            const base = String(domainName).replace(/^\*\./, "");
            return {
              domainName,
              resourceRecordName: `_mock-validation.${base}.`,
              resourceRecordType: "CNAME",
              resourceRecordValue: "_mock-token.acm-validations.aws.",
            };
          },
        ),
      };
    case "aws:route53/record:Record":
      return { fqdn: String(i.name).replace(/\.$/, "") };
    case "awsx:ec2:Vpc":
      return vpcOutputs(args);
    case "eks:index:Cluster":
      return clusterOutputs(args, region);
    case "kubernetes:core/v1:Secret":
      // The token controller fills a service-account token Secret's data.
      return i.type === "kubernetes.io/service-account-token"
        ? { data: { token: Buffer.from("mock-service-account-token").toString("base64") } }
        : {};
    case "random:index/randomId:RandomId":
      return { hex: "0a1b2c3d", b64Url: "ChssPQ", dec: "169552957" };
    case "random:index/randomPassword:RandomPassword":
      return { result: "mock-generated-password-0123456789abcdef" };
    default:
      return { arn };
  }
}

function vpcOutputs(args: pulumi.runtime.MockResourceArgs): State {
  const specs = (args.inputs.subnetSpecs ?? []) as { type: string; cidrBlocks?: string[] }[];
  const idsOf = (type: string) =>
    (specs.find((s) => s.type === type)?.cidrBlocks ?? []).map((_, az) => `subnet-${type.toLowerCase()}-${az}`);
  return {
    vpcId: "vpc-0123456789abcdef0",
    publicSubnetIds: idsOf("Public"),
    privateSubnetIds: idsOf("Private"),
    isolatedSubnetIds: idsOf("Isolated"),
    // The real outputs are RouteTable resources; plain objects with an id serve the same reads.
    routeTables: ["public", "private", "isolated"].flatMap((tier) =>
      idsOf(tier.charAt(0).toUpperCase() + tier.slice(1)).map((id) => ({ id: `rtb-${id}` })),
    ),
    // awsx gives every subnet its own route table; real outputs are RouteTableAssociation resources.
    routeTableAssociations: ["Public", "Private", "Isolated"].flatMap((type) =>
      idsOf(type).map((id) => ({ subnetId: id, routeTableId: `rtb-${id}` })),
    ),
  };
}

function clusterOutputs(args: pulumi.runtime.MockResourceArgs, region: string): State {
  const endpoint = `https://ABCDEF0123456789.gr7.${region}.eks.amazonaws.com`;
  // The EKS cluster takes the `name` input when given, a generated name otherwise.
  const clusterName = typeof args.inputs.name === "string" ? args.inputs.name : `${args.name}-eksCluster-1234567`;
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: args.name, cluster: { server: endpoint, "certificate-authority-data": "bW9jaw==" } }],
    contexts: [{ name: args.name, context: { cluster: args.name, user: args.name } }],
    "current-context": args.name,
    users: [
      {
        name: args.name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", args.name],
          },
        },
      },
    ],
  };
  return {
    // The real output is an aws.eks.Cluster resource; a plain object serves the same property reads.
    eksCluster: {
      name: clusterName,
      arn: `arn:aws:eks:${region}:${MOCK_ACCOUNT_ID}:cluster/${clusterName}`,
      endpoint,
      certificateAuthority: {
        data: Buffer.from("-----BEGIN CERTIFICATE-----\nmock cluster CA\n-----END CERTIFICATE-----\n").toString(
          "base64",
        ),
      },
    },
    kubeconfig,
    kubeconfigJson: JSON.stringify(kubeconfig),
    clusterSecurityGroupId: "sg-cluster0123456789",
    nodeSecurityGroupId: "sg-nodes0123456789",
    oidcProviderArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/ABCDEF0123456789`,
    oidcProviderUrl: `oidc.eks.${region}.amazonaws.com/id/ABCDEF0123456789`,
    oidcIssuer: `oidc.eks.${region}.amazonaws.com/id/ABCDEF0123456789`,
  };
}

type Statement = {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
};

/** aws.iam.getPolicyDocument computes JSON from statements; the plan needs the real JSON to check it. */
function policyDocument(inputs: Record<string, unknown>): State {
  const statements = ((inputs.statements ?? []) as Statement[]).map((s) => {
    const out: Record<string, unknown> = { Effect: s.effect ?? "Allow" };
    if (s.sid) out.Sid = s.sid;
    if (s.principals) out.Principal = Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers]));
    if (s.actions) out.Action = s.actions;
    if (s.resources) out.Resource = s.resources;
    if (s.conditions) {
      const conditions: Record<string, Record<string, string[]>> = {};
      for (const c of s.conditions) (conditions[c.test] ??= {})[c.variable] = c.values;
      out.Condition = conditions;
    }
    return out;
  });
  return { json: JSON.stringify({ Version: "2012-10-17", Statement: statements }) };
}

export function createMocks(region: string): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      // Auto-named resources get their logical name as physical name, so references by name resolve.
      const state = { name: physicalName(args), ...args.inputs, ...computedOutputs(args, region) };
      // S3 identifies a bucket by its name; sub-resources refer to `bucket.id`.
      const id = args.type === "aws:s3/bucket:Bucket" ? String(state.bucket) : `${args.name}-id`;
      return { id, state };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/plan`, userId: "AIDAPLAN" };
        case "aws:index/getRegion:getRegion":
          return { name: region, region, id: region };
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          // us-east-1's six zones, names mapped to zone IDs as in one account (the mapping differs per account).
          return {
            names: ["a", "b", "c", "d", "e", "f"].map((s) => `${region}${s}`),
            zoneIds: ["az1", "az2", "az4", "az6", "az3", "az5"].map((z) => `use1-${z}`),
          };
        case "aws:route53/getZone:getZone":
          // The stack's existing public hosted zone (never created by the program).
          return {
            ...args.inputs,
            id: "Z0123456789MOCKZONE",
            zoneId: "Z0123456789MOCKZONE",
            arn: "arn:aws:route53:::hostedzone/Z0123456789MOCKZONE",
          };
        case "aws:ssm/getParameter:getParameter":
          // The NAT instance's AMI: the current AL2023 arm64 image AWS publishes under this name.
          return { ...args.inputs, type: "String", value: "ami-mock-al2023-arm64", version: 1 };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          return policyDocument(args.inputs);
        case "aws:ecr/getImage:getImage":
          // The edge app without a configured digest pins the repository's most recent image.
          return { ...args.inputs, imageDigest: `sha256:${"e".repeat(64)}`, imageTags: ["mock"] };
        case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
          return {
            userName: "AWS",
            password: "mock-ecr-token",
            proxyEndpoint: `https://${MOCK_ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`,
          };
        default:
          return args.inputs;
      }
    },
  };
}
