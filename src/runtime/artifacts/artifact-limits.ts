/** Bounds on an agent artifact: compressed size, unpacked size and number of entries. */
export interface ArtifactLimits {
  maxArchiveBytes: number;
  maxUnpackedBytes: number;
  maxEntries: number;
}

/** The platform's default artifact limits: 20 MiB compressed, 100 MiB unpacked, 5,000 entries. */
export const defaultArtifactLimits: ArtifactLimits = {
  maxArchiveBytes: 20 * 1024 * 1024,
  maxUnpackedBytes: 100 * 1024 * 1024,
  maxEntries: 5_000,
};
