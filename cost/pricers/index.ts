import type { Pricer } from "../types";
import { ec2Instance, eksCluster, eksComponent, nodeGroup } from "./compute";
import {
  cacheCluster,
  ebsVolume,
  ecrRepository,
  kmsKey,
  logGroup,
  metricAlarm,
  rdsInstance,
  replicationGroup,
  s3Bucket,
  secret,
} from "./data";
import { karpenterNodePool } from "./karpenter";
import { claimTemplates, helmRelease, persistentVolumeClaim, service } from "./kubernetes";
import { awsLoadBalancer, awsxVpc, elasticIp, natGateway, vpcEndpoint, wafWebAcl } from "./network";

/** The resource types the estimate prices, by type token. */
export const PRICERS: Readonly<Record<string, Pricer>> = {
  "eks:index:Cluster": eksComponent,
  "aws:eks/cluster:Cluster": eksCluster,
  "aws:eks/nodeGroup:NodeGroup": nodeGroup,
  "aws:ec2/instance:Instance": ec2Instance,
  "awsx:ec2:Vpc": awsxVpc,
  "aws:ec2/natGateway:NatGateway": natGateway,
  "aws:ec2/eip:Eip": elasticIp,
  "aws:ec2/vpcEndpoint:VpcEndpoint": vpcEndpoint,
  "aws:lb/loadBalancer:LoadBalancer": awsLoadBalancer,
  "aws:alb/loadBalancer:LoadBalancer": awsLoadBalancer,
  "aws:wafv2/webAcl:WebAcl": wafWebAcl,
  "aws:rds/instance:Instance": rdsInstance,
  "aws:elasticache/replicationGroup:ReplicationGroup": replicationGroup,
  "aws:elasticache/cluster:Cluster": cacheCluster,
  "aws:s3/bucket:Bucket": s3Bucket,
  "aws:s3/bucketV2:BucketV2": s3Bucket,
  "aws:ecr/repository:Repository": ecrRepository,
  "aws:cloudwatch/logGroup:LogGroup": logGroup,
  "aws:cloudwatch/metricAlarm:MetricAlarm": metricAlarm,
  "aws:kms/key:Key": kmsKey,
  "aws:secretsmanager/secret:Secret": secret,
  "aws:ebs/volume:Volume": ebsVolume,
  "kubernetes:core/v1:Service": service,
  "kubernetes:core/v1:PersistentVolumeClaim": persistentVolumeClaim,
  "kubernetes:apps/v1:StatefulSet": claimTemplates,
  "kubernetes:monitoring.coreos.com/v1:Prometheus": claimTemplates,
  "kubernetes:monitoring.coreos.com/v1:Alertmanager": claimTemplates,
  "kubernetes:helm.sh/v3:Release": helmRelease,
  "kubernetes:karpenter.sh/v1:NodePool": karpenterNodePool,
};
