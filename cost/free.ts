/**
 * Resource types that bill nothing by themselves, each with the reason. A type that is neither
 * priced (cost/pricers.ts) nor listed here is reported as unpriced: adding a resource of a new
 * type makes the estimate say so instead of counting it as zero.
 */

/** Whole packages whose resources never appear on an AWS bill. */
export const FREE_PACKAGES: Readonly<Record<string, string>> = {
  platform: "this project's component resources group children; the children are priced",
  pulumi: "Pulumi providers and the stack are engine objects",
  random: "generated values live in the Pulumi state",
  tls: "keys and certificates generated into the Pulumi state",
  command: "commands run over SSH on the edge host",
  docker: "containers, images and networks on the Raspberry Pi, not on AWS",
  kubernetes: "Kubernetes objects run on the priced nodes (volumes and load balancers are priced where declared)",
};

const AWS_CONFIG = "configuration of another resource, no charge of its own";
const IAM = "IAM has no charge";
const NETWORK_PLUMBING = "VPC plumbing without an hourly or per-GB charge";

/** Single types that bill nothing; Kubernetes objects are free unless cost/pricers.ts prices them (volumes, load balancers). */
export const FREE_TYPES: Readonly<Record<string, string>> = {
  "aws:acm/certificate:Certificate": "public ACM certificates have no charge",
  "aws:acm/certificateValidation:CertificateValidation": "waits for ACM's validation; creates nothing",
  "aws:route53/record:Record":
    "records have no charge; the hosted zone ($0.50/month) is not created by this program, and queries to the validation CNAME are negligible",
  "aws:iam/role:Role": IAM,
  "aws:iam/policy:Policy": IAM,
  "aws:iam/rolePolicy:RolePolicy": IAM,
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": IAM,
  "aws:iam/user:User": IAM,
  "aws:iam/userPolicy:UserPolicy": IAM,
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": IAM,
  "aws:iam/accessKey:AccessKey": IAM,
  "aws:rolesanywhere/trustAnchor:TrustAnchor":
    "IAM Roles Anywhere has no charge (the CA is self-managed, not AWS Private CA)",
  "aws:rolesanywhere/profile:Profile": "IAM Roles Anywhere has no charge",
  "aws:iam/instanceProfile:InstanceProfile": IAM,
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": IAM,
  "aws:kms/alias:Alias": "aliases are free; the key is priced",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": AWS_CONFIG,
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": AWS_CONFIG,
  "aws:s3/bucketVersioning:BucketVersioning": AWS_CONFIG,
  "aws:s3/bucketVersioningV2:BucketVersioningV2": AWS_CONFIG,
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": AWS_CONFIG,
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": AWS_CONFIG,
  "aws:s3/bucketPolicy:BucketPolicy": AWS_CONFIG,
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": AWS_CONFIG,
  "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": AWS_CONFIG,
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": AWS_CONFIG,
  "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": AWS_CONFIG,
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": AWS_CONFIG,
  "aws:ecr/repositoryPolicy:RepositoryPolicy": AWS_CONFIG,
  "aws:rds/parameterGroup:ParameterGroup": AWS_CONFIG,
  // Not free in fact: no pricer yet (cost/ is being reworked); the reasons say what the estimate leaves out.
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
    "configuration; the replica's storage is priced on its bucket line, inter-region transfer (about $0.02 per GB replicated) is not estimated",
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
    "not estimated: snapshot storage in the DR region (about the primary's backup storage) and inter-region transfer of each day's changes",
  "aws:rds/subnetGroup:SubnetGroup": AWS_CONFIG,
  "aws:elasticache/subnetGroup:SubnetGroup": AWS_CONFIG,
  "aws:elasticache/parameterGroup:ParameterGroup": AWS_CONFIG,
  "aws:eks/addon:Addon": "EKS add-ons are free; the pods run on the priced nodes",
  "aws:eks/accessEntry:AccessEntry": AWS_CONFIG,
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": AWS_CONFIG,
  "aws:ec2/launchTemplate:LaunchTemplate": AWS_CONFIG,
  "aws:ec2/flowLog:FlowLog": "delivery is billed as CloudWatch Logs ingestion on the log group line",
  "aws:ec2/vpc:Vpc": NETWORK_PLUMBING,
  "aws:ec2/subnet:Subnet": NETWORK_PLUMBING,
  "aws:ec2/routeTable:RouteTable": NETWORK_PLUMBING,
  "aws:ec2/routeTableAssociation:RouteTableAssociation": NETWORK_PLUMBING,
  "aws:ec2/route:Route": NETWORK_PLUMBING,
  "aws:ec2/internetGateway:InternetGateway": NETWORK_PLUMBING,
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": NETWORK_PLUMBING,
  "aws:ec2/securityGroup:SecurityGroup": NETWORK_PLUMBING,
  "aws:ec2/securityGroupRule:SecurityGroupRule": NETWORK_PLUMBING,
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": NETWORK_PLUMBING,
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": NETWORK_PLUMBING,
  "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": NETWORK_PLUMBING,
  "aws:ec2/defaultRouteTable:DefaultRouteTable": NETWORK_PLUMBING,
  "eks:index:VpcCniAddon": "the VPC CNI add-on is free",
  // Karpenter's interruption handling (components/platform/karpenter.ts).
  "aws:cloudwatch/eventRule:EventRule":
    "EventBridge delivers AWS services' own events (EC2, Health) on the default bus at no charge",
  "aws:cloudwatch/eventTarget:EventTarget": AWS_CONFIG,
  "aws:sqs/queue:Queue":
    "SQS bills per request ($0.40 per million after the account's first million a month, https://aws.amazon.com/sqs/pricing/): Karpenter's long polling makes about 130,000 a month, not estimated",
  "aws:sqs/queuePolicy:QueuePolicy": AWS_CONFIG,
  "aws:ec2/tag:Tag": AWS_CONFIG,
};

/** Why a type bills nothing, or undefined when it is not known to be free. */
export function freeReason(type: string): string | undefined {
  if (Object.hasOwn(FREE_TYPES, type)) return FREE_TYPES[type];
  const pkg = type.split(":")[0];
  if (pkg !== undefined && Object.hasOwn(FREE_PACKAGES, pkg)) return FREE_PACKAGES[pkg];
  return undefined;
}
