/** Levenshtein distance, used only to suggest the key a typo was meant to be. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  const cell = (j: number): number => {
    const value = previous[j];
    if (value === undefined) throw new RangeError(`edit distance: column ${j} outside 0..${b.length}`);
    return value;
  };
  for (let i = 1; i <= a.length; i++) {
    let diagonal = cell(0);
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = cell(j);
      const cost = a.charAt(i - 1).toLowerCase() === b.charAt(j - 1).toLowerCase() ? 0 : 1;
      previous[j] = Math.min(cell(j) + 1, cell(j - 1) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return cell(b.length);
}

/** The closest known key, if it is close enough to be a plausible typo. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(unknown, key);
    if (!best || distance < best.distance) best = { key, distance };
  }
  const tolerance = Math.max(2, Math.floor(unknown.length / 3));
  return best && best.distance <= tolerance ? best.key : undefined;
}
