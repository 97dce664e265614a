import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryConfig } from "../config";

export interface RegistryArgs {
  /** `platform:registry`: repository names and how many tagged images to keep. */
  config: RegistryConfig;
  /** Protect the repositories from deletion by the stack (`platform:protect`). */
  protect: boolean;
}

/**
 * One ECR repository per image: scanned on push, immutable tags (a tag always means the same
 * image, so a digest pin and a tag agree), and a lifecycle that keeps the last N tagged images
 * and drops untagged ones after a day.
 */
export class Registry extends pulumi.ComponentResource {
  /** Repository URL per repository name. */
  readonly repositoryUrls: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:registry:Registry", name, {}, opts);
    const policy = JSON.stringify(lifecyclePolicy(args.config.keepImages));
    this.repositoryUrls = {};
    for (const repoName of args.config.repositories) {
      const repository = new aws.ecr.Repository(
        `${name}-${repoName.replace(/\//g, "-")}`,
        {
          name: repoName,
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "AES256" }],
          forceDelete: !args.protect,
        },
        { parent: this, protect: args.protect },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-${repoName.replace(/\//g, "-")}`,
        { repository: repository.name, policy },
        { parent: this },
      );
      this.repositoryUrls[repoName] = repository.repositoryUrl;
    }
    this.registerOutputs({ repositoryUrls: this.repositoryUrls });
  }

  /** The URL of repository `repoName`; throws naming it when `platform:registry.repositories` does not list it. */
  repositoryUrl(repoName: string): pulumi.Output<string> {
    const url = this.repositoryUrls[repoName];
    if (url === undefined)
      throw new Error(
        `platform:registry.repositories does not list "${repoName}" (it lists: ${Object.keys(this.repositoryUrls).join(", ") || "none"})`,
      );
    return url;
  }
}

/** ECR evaluates rules by priority; the untagged rule goes first so it never counts tagged images. */
export function lifecyclePolicy(keepImages: number) {
  return {
    rules: [
      {
        rulePriority: 1,
        description: "Expire untagged images after a day",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the last ${keepImages} tagged images`,
        selection: {
          tagStatus: "tagged",
          tagPatternList: ["*"],
          countType: "imageCountMoreThan",
          countNumber: keepImages,
        },
        action: { type: "expire" },
      },
    ],
  };
}
