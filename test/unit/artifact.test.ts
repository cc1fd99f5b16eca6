// Agent artifacts: valid archives unpack read-only with their sha256; oversized, traversing, linked
// or device entries are refused by name. Archives are built here, block by block, with tar's own
// header encoder so malicious entries can be written exactly as an attacker would.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, Pax } from 'tar';
import type { HeaderData } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactError } from '../../src/runtime/artifacts/artifact-error.js';
import { inspectArtifact } from '../../src/runtime/artifacts/inspect-artifact.js';
import { unpackArtifact } from '../../src/runtime/artifacts/unpack-artifact.js';

interface Entry extends HeaderData {
  body?: string | Buffer;
  /** A pax extended header (e.g. a path overriding the one in the plain header). */
  pax?: HeaderData;
}

function block(header: HeaderData): Buffer {
  const buffer = Buffer.alloc(512);
  new Header({ mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, ...header }).encode(buffer, 0);
  return buffer;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

/** Builds a tar (optionally not gzipped) from raw entries. */
function tarOf(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const { body, pax, ...header } of entries) {
    if (pax) parts.push(new Pax({ ...pax, mtime: new Date(0) }).encode());
    const data = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    parts.push(block({ type: 'File', ...header, size: data.length }), padded(data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const tarGz = (entries: Entry[]) => gzipSync(tarOf(entries));

async function refusal(archive: Buffer, limits?: Parameters<typeof inspectArtifact>[1]) {
  const error = await inspectArtifact(archive, limits).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ArtifactError);
  return error as ArtifactError;
}

describe('agent artifacts', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'bazaar-artifact-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const goodEntries: Entry[] = [
    { path: 'agent/', type: 'Directory', mode: 0o755 },
    { path: 'agent/main.js', body: 'console.log("{}")\n', mode: 0o644 },
    { path: 'agent/run.sh', body: '#!/bin/sh\n', mode: 0o755 },
    { path: 'agent/lib/util.js', body: 'export {}\n' },
  ];

  it('unpacks a valid archive read-only and reports its sha256', async () => {
    const archive = tarGz(goodEntries);
    const destination = join(work, 'artifact');
    const unpacked = await unpackArtifact({ archive, destination });

    expect(unpacked.sha256).toBe(createHash('sha256').update(archive).digest('hex'));
    expect(unpacked).toMatchObject({ files: 3, alreadyPresent: false, destination });
    expect(await readFile(join(destination, 'agent/main.js'), 'utf8')).toBe('console.log("{}")\n');
    expect((await stat(join(destination, 'agent/main.js'))).mode & 0o777).toBe(0o444);
    expect((await stat(join(destination, 'agent/run.sh'))).mode & 0o777).toBe(0o555);
    expect((await stat(join(destination, 'agent/lib'))).mode & 0o777).toBe(0o555);
    expect((await stat(destination)).mode & 0o777).toBe(0o555);
    // Nothing left behind from the staging directory.
    expect(await readdir(work)).toEqual(['artifact']);
  });

  it('keeps an artifact already unpacked at the destination (idempotent)', async () => {
    const archive = tarGz(goodEntries);
    const destination = join(work, 'artifact');
    await unpackArtifact({ archive, destination });
    const again = await unpackArtifact({ archive, destination });
    expect(again.alreadyPresent).toBe(true);
    expect(again.sha256).toBe(createHash('sha256').update(archive).digest('hex'));
  });

  it.each([
    ['an absolute path', [{ path: '/etc/cron.d/evil', body: 'x' }], '/etc/cron.d/evil', /absolute/],
    ['a ".." traversal', [{ path: 'agent/../../evil.js', body: 'x' }], 'agent/../../evil.js', /\.\./],
    [
      'a ".." traversal hidden in a pax header',
      [{ path: 'harmless.js', body: 'x', pax: { path: '../evil.js' } }],
      '../evil.js',
      /\.\./,
    ],
    [
      'a symbolic link',
      [{ path: 'agent/passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }],
      'agent/passwd',
      /SymbolicLink/,
    ],
    [
      'a hard link',
      [
        { path: 'agent/a.js', body: 'x' },
        { path: 'agent/b.js', type: 'Link', linkpath: 'agent/a.js' },
      ],
      'agent/b.js',
      /Link/,
    ],
    [
      'a character device',
      [{ path: 'agent/null', type: 'CharacterDevice', devmaj: 1, devmin: 3 }],
      'agent/null',
      /CharacterDevice/,
    ],
    ['a FIFO', [{ path: 'agent/pipe', type: 'FIFO' }], 'agent/pipe', /FIFO/],
    [
      'the same path twice',
      [
        { path: 'main.js', body: 'good' },
        { path: './main.js', body: 'evil' },
      ],
      './main.js',
      /twice/,
    ],
  ] as Array<[string, Entry[], string, RegExp]>)(
    'refuses %s, naming the entry',
    async (_name, entries, path, reason) => {
      const error = await refusal(tarGz(entries));
      expect(error.code).toBe('artifact_bad_entry');
      expect(error.entry).toBe(path);
      expect(error.message).toContain(JSON.stringify(path));
      expect(error.message).toMatch(reason);
    },
  );

  it('writes nothing when any entry is refused, even after good ones', async () => {
    const destination = join(work, 'artifact');
    const archive = tarGz([...goodEntries, { path: '../../escaped.js', body: 'x' }]);
    await expect(unpackArtifact({ archive, destination })).rejects.toThrow(/escaped\.js/);
    expect(await readdir(work)).toEqual([]);
    await expect(stat(join(work, '..', 'escaped.js'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses an archive over the compressed size limit', async () => {
    const archive = tarGz(goodEntries);
    const error = await refusal(archive, {
      maxArchiveBytes: archive.length - 1,
      maxUnpackedBytes: 1 << 20,
      maxEntries: 10,
    });
    expect(error.code).toBe('artifact_too_large');
    expect(error.message).toMatch(/compressed/);
  });

  it('refuses an archive that unpacks over the size limit (a compression bomb)', async () => {
    // 64 MiB of zeros gzip to about 64 KiB.
    const archive = tarGz([{ path: 'zeros.bin', body: Buffer.alloc(64 * 1024 * 1024) }]);
    expect(archive.length).toBeLessThan(1024 * 1024);
    const error = await refusal(archive, {
      maxArchiveBytes: 1 << 20,
      maxUnpackedBytes: 8 * 1024 * 1024,
      maxEntries: 10,
    });
    expect(error.code).toBe('artifact_too_large');
    expect(error.message).toMatch(/unpacks to more than 8388608 bytes/);
  });

  it('refuses an archive with too many entries', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({ path: `f${i}.js`, body: 'x' }));
    const error = await refusal(tarGz(entries), {
      maxArchiveBytes: 1 << 20,
      maxUnpackedBytes: 1 << 20,
      maxEntries: 10,
    });
    expect(error.code).toBe('artifact_too_large');
    expect(error.message).toMatch(/more than 10 entries/);
  });

  it('refuses bytes that are not a tar.gz, and an archive with no files', async () => {
    expect((await refusal(Buffer.from('not an archive'))).code).toBe('artifact_corrupt');
    const corrupt = tarOf(goodEntries);
    corrupt.write('garbage!', 148); // the first header's checksum field
    expect((await refusal(gzipSync(corrupt))).code).toBe('artifact_corrupt');
    const empty = await refusal(tarGz([{ path: 'only-a-dir/', type: 'Directory' }]));
    expect(empty.message).toMatch(/no files/);
  });

  it('reads an archive written by the system tar', async () => {
    // A real-world archive, not only our hand-built ones: GNU tar's own output must pass.
    const source = join(work, 'src');
    await mkdir(source);
    await writeFile(join(source, 'main.js'), 'process.stdout.write("{}")\n');
    const archivePath = join(work, 'agent.tar.gz');
    execFileSync('tar', ['-czf', archivePath, '-C', source, '.']);
    const unpacked = await unpackArtifact({
      archive: await readFile(archivePath),
      destination: join(work, 'out'),
    });
    expect(unpacked.files).toBe(1);
    expect(await readFile(join(work, 'out', 'main.js'), 'utf8')).toContain('stdout');
  });
});
