/** One event occurrence to claim: its `id` and where in the stream this copy sits. */
export interface DedupeClaim {
  id: string;
  /** `<shardId>|<sequence order key>|<line index>`: the same for a replay of this copy, different for another copy. */
  position: string;
}

/** What became of a claim. */
export type DedupeOutcome = 'first' | 'duplicate' | { error: unknown };

/**
 * Decides, per event `id`, which copy counts. The first position to claim an
 * id owns it; a replay of that same position still owns it (so retried batches
 * keep counting it exactly once), and any other position is a duplicate.
 */
export interface EventDeduper {
  claim(claims: readonly DedupeClaim[]): Promise<DedupeOutcome[]>;
}
