import type { PolicyResource } from "@pulumi/policy";
import { isUnknown, known } from "./values";

/** What configures one target (a bucket, a repository): the resources known to, and that may. */
export interface Attachments {
  /** Resources that reference the target for sure. */
  matched: PolicyResource[];
  /** Resources whose reference is unknown at preview: any of them may be for the target. */
  undetermined: PolicyResource[];
}

/** A resource's own identifiers: its logical name and the physical names set in its inputs. */
function identifiersOf(target: PolicyResource, idFields: readonly string[]): Set<string> {
  const props = known(target.props) as Record<string, unknown>;
  const ids = new Set([target.name]);
  for (const f of idFields) if (typeof props[f] === "string") ids.add(props[f] as string);
  return ids;
}

/**
 * The resources among `candidates` that point at `target` through their `field` input (S3 bucket
 * settings, ECR lifecycle policies). The engine gives property dependencies; otherwise a known
 * value must equal one of the target's names. A reference unknown at preview (the id of a bucket
 * not yet created) is "undetermined": rules treat it as possibly covering the target, never as a
 * violation.
 */
export function attachmentsOf(
  target: PolicyResource,
  candidates: PolicyResource[],
  field: string,
  idFields: readonly string[],
): Attachments {
  const ids = identifiersOf(target, idFields);
  const matched: PolicyResource[] = [];
  const undetermined: PolicyResource[] = [];
  for (const c of candidates) {
    const deps = c.propertyDependencies?.[field] ?? [];
    if (deps.some((d) => d.urn === target.urn)) {
      matched.push(c);
      continue;
    }
    const value = (known(c.props) as Record<string, unknown>)[field];
    if (typeof value === "string" && ids.has(value)) matched.push(c);
    else if ((isUnknown(value) || value === undefined) && deps.length === 0) undetermined.push(c);
  }
  return { matched, undetermined };
}
