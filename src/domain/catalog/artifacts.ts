import type { Queryable } from '../../db/pool.js';

/** A stored artifact's metadata. */
export interface ArtifactInfo {
  versionId: string;
  sha256: string;
  sizeBytes: number;
  uploadedAt: string;
}

/** Stores (or, while the version is a draft, replaces) a version's artifact. */
export async function storeArtifact(
  db: Queryable,
  input: { versionId: string; sha256: string; content: Uint8Array },
): Promise<ArtifactInfo> {
  const { rows } = await db.query(
    `INSERT INTO version_artifacts (version_id, sha256, size_bytes, content) VALUES ($1, $2, $3, $4)
     ON CONFLICT (version_id) DO UPDATE SET sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes,
       content = EXCLUDED.content, uploaded_at = now()
     RETURNING version_id, sha256, size_bytes, uploaded_at`,
    [input.versionId, input.sha256, input.content.byteLength, Buffer.from(input.content)],
  );
  return toInfo(rows[0]);
}

/** A version's artifact metadata, or null. */
export async function findArtifactInfo(db: Queryable, versionId: string): Promise<ArtifactInfo | null> {
  const { rows } = await db.query(
    'SELECT version_id, sha256, size_bytes, uploaded_at FROM version_artifacts WHERE version_id = $1',
    [versionId],
  );
  return rows[0] ? toInfo(rows[0]) : null;
}

/** A version's artifact bytes, or null when none was uploaded. */
export async function loadArtifact(db: Queryable, versionId: string): Promise<Uint8Array | null> {
  const { rows } = await db.query('SELECT content FROM version_artifacts WHERE version_id = $1', [versionId]);
  return rows[0] ? (rows[0].content as Buffer) : null;
}

function toInfo(row: Record<string, unknown>): ArtifactInfo {
  return {
    versionId: row.version_id as string,
    sha256: row.sha256 as string,
    sizeBytes: row.size_bytes as number,
    uploadedAt: (row.uploaded_at as Date).toISOString(),
  };
}
