import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import { ArtifactError } from './artifact-error.js';
import { defaultArtifactLimits } from './artifact-limits.js';
import type { ArtifactLimits } from './artifact-limits.js';

/** What inspecting a valid artifact found. */
export interface ArtifactSummary {
  /** Hex sha256 of the compressed archive, as uploaded. */
  sha256: string;
  /** Regular files in the archive. */
  files: number;
  /** Sum of the regular files' sizes. */
  unpackedBytes: number;
}

// Only plain files and directories: links could point outside the agent directory once unpacked,
// and devices or FIFOs have no business in agent code.
const allowedTypes = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);
const maxPathLength = 1024;

/** Why an entry's path is unsafe, or null when it is a plain relative path. */
export function unsafePathReason(path: string): string | null {
  if (path.length === 0) return 'has an empty path';
  if (path.length > maxPathLength) return `has a path longer than ${maxPathLength} characters`;
  if (path.includes('\0')) return 'has a NUL byte in its path';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    return 'has an absolute path';
  }
  if (path.split(/[/\\]/).includes('..')) return 'climbs out of the archive with ".."';
  return null;
}

/**
 * Reads a tar.gz agent artifact without writing anything, refusing it (ArtifactError) when it is too
 * large, unreadable, or holds anything but plain files and directories at plain relative paths.
 */
export async function inspectArtifact(
  archive: Uint8Array,
  limits: ArtifactLimits = defaultArtifactLimits,
): Promise<ArtifactSummary> {
  if (archive.byteLength > limits.maxArchiveBytes) {
    throw new ArtifactError(
      'artifact_too_large',
      `artifact is ${archive.byteLength} bytes compressed; the limit is ${limits.maxArchiveBytes}`,
    );
  }
  const sha256 = createHash('sha256').update(archive).digest('hex');
  let files = 0;
  let entries = 0;
  let unpackedBytes = 0;
  const seen = new Set<string>();
  let refusal: Error | null = null;

  const check = (entry: ReadEntry): ArtifactError | null => {
    const path = entry.path;
    const bad = (reason: string) =>
      new ArtifactError('artifact_bad_entry', `entry ${JSON.stringify(path)} ${reason}`, path);
    if (!allowedTypes.has(entry.type)) {
      return bad(`is a ${entry.type}; only regular files and directories are allowed`);
    }
    const unsafe = unsafePathReason(path);
    if (unsafe) return bad(unsafe);
    const key = path.replace(/\/+$/, '').replace(/^(\.\/)+/, '');
    if (seen.has(key)) return bad('appears twice');
    seen.add(key);
    entries += 1;
    if (entries > limits.maxEntries) {
      return new ArtifactError('artifact_too_large', `artifact has more than ${limits.maxEntries} entries`);
    }
    if (entry.type !== 'Directory') {
      files += 1;
      unpackedBytes += entry.size;
      if (unpackedBytes > limits.maxUnpackedBytes) {
        return new ArtifactError(
          'artifact_too_large',
          `artifact unpacks to more than ${limits.maxUnpackedBytes} bytes`,
        );
      }
    }
    return null;
  };

  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      refusal ??= check(entry);
      entry.resume();
    },
  });
  let unreadable: Error | null = null;
  const parsed = new Promise<void>((resolve) => {
    parser.on('error', (error: Error) => {
      unreadable ??= error;
      resolve();
    });
    parser.on('end', resolve);
  });
  // Headers and padding add at most a few blocks per entry to the tar stream; anything beyond that
  // is a decompression bomb, stopped before it is inflated.
  const maxTarBytes = limits.maxUnpackedBytes + (limits.maxEntries + 16) * 3 * 512;
  let tarBytes = 0;
  try {
    const gunzip = createGunzip();
    gunzip.end(archive);
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      tarBytes += chunk.length;
      if (tarBytes > maxTarBytes) {
        gunzip.destroy();
        throw new ArtifactError(
          'artifact_too_large',
          `artifact unpacks to more than ${limits.maxUnpackedBytes} bytes`,
        );
      }
      parser.write(chunk);
      if (refusal) throw refusal;
      if (unreadable) throw unreadable;
    }
    parser.end();
    await parsed;
    if (refusal) throw refusal;
    if (unreadable) throw unreadable;
  } catch (error) {
    throw error instanceof ArtifactError
      ? error
      : new ArtifactError('artifact_corrupt', `artifact is not a valid tar.gz: ${(error as Error).message}`);
  }
  if (files === 0) throw new ArtifactError('artifact_bad_entry', 'artifact contains no files');
  return { sha256, files, unpackedBytes };
}
