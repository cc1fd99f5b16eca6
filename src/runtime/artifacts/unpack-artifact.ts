import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar';
import { defaultArtifactLimits } from './artifact-limits.js';
import type { ArtifactLimits } from './artifact-limits.js';
import { inspectArtifact, unsafePathReason } from './inspect-artifact.js';
import type { ArtifactSummary } from './inspect-artifact.js';

/** What to unpack and where. */
export interface UnpackArtifactRequest {
  /** The tar.gz bytes as uploaded (held in memory: bounded by limits.maxArchiveBytes). */
  archive: Uint8Array;
  /** The directory to create; it must not be inside a directory the agent may write. */
  destination: string;
  limits?: ArtifactLimits;
}

/** The unpacked artifact: its summary and whether an earlier call had already unpacked it. */
export interface UnpackedArtifact extends ArtifactSummary {
  destination: string;
  alreadyPresent: boolean;
}

/**
 * Validates an agent artifact (see inspectArtifact) and unpacks it into `destination`, read-only for
 * everyone (directories 0555, files 0444, or 0555 when executable). The unpack happens in a sibling
 * directory renamed into place, so `destination` is either absent or complete; artifacts are
 * immutable with their version, so an existing destination is kept as it is.
 */
export async function unpackArtifact(request: UnpackArtifactRequest): Promise<UnpackedArtifact> {
  const destination = resolve(request.destination);
  const summary = await inspectArtifact(request.archive, request.limits ?? defaultArtifactLimits);
  const existing = await lstat(destination).catch(() => null);
  if (existing?.isDirectory()) return { ...summary, destination, alreadyPresent: true };

  await mkdir(dirname(destination), { recursive: true });
  const staging = `${destination}.unpacking-${randomBytes(6).toString('hex')}`;
  await mkdir(staging, { mode: 0o700 });
  try {
    await pipeline(
      Readable.from([Buffer.from(request.archive)]),
      extract({
        cwd: staging,
        strict: true,
        // Running as root, tar would otherwise give files the uids and gids written in the archive.
        preserveOwner: false,
        // Inspection already refused these; this is a second lock on the same door.
        filter: (path, entry) =>
          unsafePathReason(path) === null &&
          'type' in entry &&
          (entry.type === 'File' ||
            entry.type === 'OldFile' ||
            entry.type === 'ContiguousFile' ||
            entry.type === 'Directory'),
      }),
    );
    await makeReadOnly(staging);
    await rename(staging, destination);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { ...summary, destination, alreadyPresent: false };
}

/** Sets every directory to 0555 and every file to 0444 (0555 when its owner could execute it). */
async function makeReadOnly(directory: string): Promise<void> {
  for (const name of await readdir(directory)) {
    const path = join(directory, name);
    const stats = await lstat(path);
    if (stats.isDirectory()) await makeReadOnly(path);
    else if (stats.isFile()) await chmod(path, stats.mode & 0o100 ? 0o555 : 0o444);
  }
  await chmod(directory, 0o555);
}
