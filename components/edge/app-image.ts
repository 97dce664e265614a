/** What the ECR lookup of the newest `edge-app` image answered (aws.ecr.getImage with mostRecent). */
export interface NewestImage {
  repositoryUrl: string;
  digest: string;
  tags?: readonly string[];
  /** Unix seconds. */
  pushedAt?: number;
}

/**
 * One sentence, for the plan, `pulumi preview` and the stack outputs, saying which app image this
 * run deploys and why: the pinned `edge.appImage`, or the newest push to the repository as the
 * lookup saw it (tags, digest, push time), which a later run may replace with a newer one.
 */
export function describeAppImage(choice: { pinned: string } | { newest: NewestImage }): string {
  if ("pinned" in choice) return `pinned by edge.appImage: ${choice.pinned}`;
  const { repositoryUrl, digest, tags = [], pushedAt } = choice.newest;
  const tagged = tags.length ? `tag${tags.length > 1 ? "s" : ""} ${[...tags].sort().join(", ")}` : "untagged";
  const when = pushedAt ? `, pushed ${new Date(pushedAt * 1000).toISOString()}` : "";
  return (
    `newest push to ${repositoryUrl} when this ran: ${digest} (${tagged}${when}); ` +
    "a later preview or up takes whatever is newest then (pin edge.appImage to hold this one)"
  );
}
