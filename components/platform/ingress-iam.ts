/**
 * IAM for traffic in. The AWS Load Balancer Controller's policy follows upstream's
 * docs/install/iam_policy.json at the controller's app version (v3.5.0, chart 3.5.0), statement
 * for statement: read-only describes on `*`, and every create/modify/delete either creates a
 * resource tagged `elbv2.k8s.aws/cluster` or touches only resources carrying that tag.
 * ExternalDNS's policy is this repository's: one hosted zone, not upstream's `hostedzone/*`.
 */

export interface PolicyStatement {
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** The tag the controller puts on every load balancer, target group and security group it creates. */
const CLUSTER_TAG = "elbv2.k8s.aws/cluster";
const requestTagged = { [`aws:RequestTag/${CLUSTER_TAG}`]: "false" };
const resourceTagged = { [`aws:ResourceTag/${CLUSTER_TAG}`]: "false" };
/** Tag changes that do not (re)tag the cluster tag itself, on resources that already carry it. */
const retagOwned = { Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: "true", [`aws:ResourceTag/${CLUSTER_TAG}`]: "false" } };
const LOAD_BALANCERS_AND_TARGET_GROUPS = [
  "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
  "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
  "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
];

/** What the controller reads to discover subnets, security groups, certificates and existing load balancers. */
const DESCRIBE_ACTIONS = [
  ...[
    "DescribeAccountAttributes",
    "DescribeAddresses",
    "DescribeAvailabilityZones",
    "DescribeInternetGateways",
    "DescribeVpcs",
    "DescribeVpcPeeringConnections",
  ],
  ...[
    "DescribeSubnets",
    "DescribeSecurityGroups",
    "DescribeInstances",
    "DescribeNetworkInterfaces",
    "DescribeTags",
    "GetCoipPoolUsage",
    "DescribeCoipPools",
  ],
  ...["GetSecurityGroupsForVpc", "DescribeIpamPools", "DescribeRouteTables"],
]
  .map((a) => `ec2:${a}`)
  .concat(
    [
      ...[
        "DescribeLoadBalancers",
        "DescribeLoadBalancerAttributes",
        "DescribeListeners",
        "DescribeListenerCertificates",
        "DescribeSSLPolicies",
        "DescribeRules",
      ],
      ...[
        "DescribeTargetGroups",
        "DescribeTargetGroupAttributes",
        "DescribeTargetHealth",
        "DescribeTags",
        "DescribeTrustStores",
        "DescribeListenerAttributes",
      ],
      "DescribeCapacityReservation",
    ].map((a) => `elasticloadbalancing:${a}`),
  );

/** The AWS Load Balancer Controller's policy (upstream iam_policy.json, v3.5.0). */
export function loadBalancerControllerPolicy(): PolicyDocument {
  const allow = (
    Action: string[],
    Resource: string | string[],
    Condition?: PolicyStatement["Condition"],
  ): PolicyStatement =>
    Condition ? { Effect: "Allow", Action, Resource, Condition } : { Effect: "Allow", Action, Resource };
  return {
    Version: "2012-10-17",
    Statement: [
      allow(["iam:CreateServiceLinkedRole"], "*", {
        StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" },
      }),
      allow(DESCRIBE_ACTIONS, "*"),
      // Listener certificates, Cognito auth, WAF and Shield association: these APIs take no tag conditions.
      allow(
        [
          ...[
            "cognito-idp:DescribeUserPoolClient",
            "acm:ListCertificates",
            "acm:DescribeCertificate",
            "iam:ListServerCertificates",
            "iam:GetServerCertificate",
          ],
          ...[
            "waf-regional:GetWebACL",
            "waf-regional:GetWebACLForResource",
            "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL",
          ],
          ...["wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
          ...[
            "shield:GetSubscriptionState",
            "shield:DescribeProtection",
            "shield:CreateProtection",
            "shield:DeleteProtection",
          ],
        ],
        "*",
      ),
      // The worker nodes' security group gets rules for the ALB's (upstream leaves this untagged).
      allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], "*"),
      allow(["ec2:CreateSecurityGroup"], "*"),
      allow(["ec2:CreateTags"], "arn:aws:ec2:*:*:security-group/*", {
        StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" },
        Null: requestTagged,
      }),
      allow(["ec2:CreateTags", "ec2:DeleteTags"], "arn:aws:ec2:*:*:security-group/*", retagOwned),
      allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"], "*", {
        Null: resourceTagged,
      }),
      allow(["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"], "*", {
        Null: requestTagged,
      }),
      allow(
        [
          "elasticloadbalancing:CreateListener",
          "elasticloadbalancing:DeleteListener",
          "elasticloadbalancing:CreateRule",
          "elasticloadbalancing:DeleteRule",
        ],
        "*",
      ),
      allow(
        ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        LOAD_BALANCERS_AND_TARGET_GROUPS,
        retagOwned,
      ),
      allow(
        ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        [
          "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
          "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
          "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
          "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
        ],
      ),
      allow(
        [
          ...[
            "ModifyLoadBalancerAttributes",
            "SetIpAddressType",
            "SetSecurityGroups",
            "SetSubnets",
            "DeleteLoadBalancer",
            "ModifyTargetGroup",
          ],
          ...[
            "ModifyTargetGroupAttributes",
            "DeleteTargetGroup",
            "ModifyListenerAttributes",
            "ModifyCapacityReservation",
            "ModifyIpPools",
          ],
        ].map((a) => `elasticloadbalancing:${a}`),
        "*",
        { Null: resourceTagged },
      ),
      allow(["elasticloadbalancing:AddTags"], LOAD_BALANCERS_AND_TARGET_GROUPS, {
        StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] },
        Null: requestTagged,
      }),
      allow(
        ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
        "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
      ),
      allow(
        [
          ...[
            "SetWebAcl",
            "ModifyListener",
            "AddListenerCertificates",
            "RemoveListenerCertificates",
            "ModifyRule",
            "SetRulePriorities",
          ],
        ].map((a) => `elasticloadbalancing:${a}`),
        "*",
      ),
    ],
  };
}

/**
 * ExternalDNS's policy: record changes and reads in one hosted zone only; listing zones has no
 * resource-level permission in Route 53, so it stays on `*` (it reveals names, changes nothing).
 */
export function externalDnsPolicy(zoneId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"],
        Resource: `arn:aws:route53:::hostedzone/${zoneId}`,
      },
      { Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: "*" },
    ],
  };
}
