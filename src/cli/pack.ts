// Packs an agent directory into the tar.gz the API accepts, honouring .bazaarignore (gitignore
// syntax), and refuses locally, naming the file, what the API would refuse.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore from 'ignore';
import { create } from 'tar';
import { defaultArtifactLimits } from '../runtime/artifacts/artifact-limits.js';
import { inspectArtifact, unsafePathReason } from '../runtime/artifacts/inspect-artifact.js';
import { CliError } from './errors.js';

/** A packed agent: the archive and what is in it. */
export interface PackedAgent {
  archive: Buffer;
  files: string[];
  sha256: string;
  unpackedBytes: number;
}

/** Never packed: version control and the ignore file itself. */
const alwaysIgnored = ['.git/', '.bazaarignore'];

/** The files a directory packs to, relative and sorted; refuses links, devices and unsafe names. */
export async function listAgentFiles(dir: string): Promise<string[]> {
  const rules = ignore().add(alwaysIgnored);
  const ignoreFile = await readFile(join(dir, '.bazaarignore'), 'utf8').catch(() => '');
  rules.add(ignoreFile);
  const files: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const name = relative(dir, path).split(sep).join('/');
      if (rules.ignores(entry.isDirectory() ? `${name}/` : name)) continue;
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!entry.isFile()) {
        const kind = entry.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
        throw new CliError(
          `${name} is ${kind}; the API accepts only regular files and directories (add it to .bazaarignore)`,
        );
      }
      const unsafe = unsafePathReason(name);
      if (unsafe) throw new CliError(`${name} ${unsafe}`);
      files.push(name);
    }
  };
  await walk(dir);
  if (files.length === 0) throw new CliError(`${dir} holds no files to pack (after .bazaarignore)`);
  if (files.length > defaultArtifactLimits.maxEntries) {
    throw new CliError(
      `${dir} holds ${files.length} files; the API accepts at most ${defaultArtifactLimits.maxEntries}`,
    );
  }
  for (const name of files) {
    const { size } = await lstat(join(dir, name));
    if (size > defaultArtifactLimits.maxUnpackedBytes) {
      throw new CliError(
        `${name} is ${size} bytes; the whole agent may unpack to at most ${defaultArtifactLimits.maxUnpackedBytes}`,
      );
    }
  }
  return files.sort();
}

/** Packs the directory and checks the archive exactly as the API will (size, entries, paths). */
export async function packAgent(dir: string): Promise<PackedAgent> {
  const files = await listAgentFiles(dir);
  const chunks: Buffer[] = [];
  for await (const chunk of create({ gzip: true, cwd: dir, portable: true, noDirRecurse: true }, files)) {
    chunks.push(chunk as Buffer);
  }
  const archive = Buffer.concat(chunks);
  try {
    const summary = await inspectArtifact(archive);
    return { archive, files, sha256: summary.sha256, unpackedBytes: summary.unpackedBytes };
  } catch (error) {
    throw new CliError(`the packed agent would be refused: ${(error as Error).message}`);
  }
}
