/** Why an artifact was refused: too big, a forbidden entry, or not a readable tar.gz. */
export type ArtifactErrorCode = 'artifact_too_large' | 'artifact_bad_entry' | 'artifact_corrupt';

/** A refused agent artifact; the message names the offending entry and is safe to show the publisher. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';

  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
    readonly entry?: string,
  ) {
    super(message);
  }
}
