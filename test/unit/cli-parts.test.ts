// The CLI's pure parts: exit codes per API status, --credential parsing, entry files, tables, and
// packing an agent directory with .bazaarignore (refusing links, naming the file).
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryFile } from '../../src/cli/agent-dir.js';
import { parseCredentialOption } from '../../src/cli/credentials.js';
import { apiFailure, exitCodeForStatus } from '../../src/cli/errors.js';
import { table } from '../../src/cli/output.js';
import { listAgentFiles, packAgent } from '../../src/cli/pack.js';
import { inspectArtifact } from '../../src/runtime/artifacts/inspect-artifact.js';

describe('CLI parts', () => {
  it('maps API statuses to exit codes: 400 usage, 403/409/422 refused, the rest failed', () => {
    expect([400, 401, 403, 404, 409, 422, 429, 500].map(exitCodeForStatus)).toEqual([2, 1, 3, 1, 3, 3, 1, 1]);
    const error = apiFailure(422, {
      error: { code: 'rule_violation', message: 'missing credentials: X', requestId: 'req_1' },
    });
    expect(error.message).toBe('missing credentials: X (422 rule_violation, request req_1)');
    expect(error.exitCode).toBe(3);
  });

  it('takes credentials from a file or the environment, never as a value', () => {
    expect(parseCredentialOption('SHOP_API_KEY=@key.txt')).toEqual({ name: 'SHOP_API_KEY', file: 'key.txt' });
    expect(parseCredentialOption('SHOP_API_KEY=env:SHOP')).toEqual({ name: 'SHOP_API_KEY', env: 'SHOP' });
    expect(() => parseCredentialOption('SHOP_API_KEY=sk_live_123')).toThrow(/never the value itself/);
  });

  it('finds the file a process command runs', () => {
    expect(entryFile(['node', 'main.js'])).toBe('main.js');
    expect(entryFile(['python3', '-u', 'agent/run.py'])).toBe('agent/run.py');
    expect(entryFile(['./run.sh'])).toBe('./run.sh');
    expect(entryFile(['/usr/bin/env'])).toBeNull();
  });

  it('aligns tables and shows empty cells as -', () => {
    const rows = [
      { a: 'x', b: null },
      { a: 'longer', b: 2 },
    ];
    const columns = [
      { header: 'a', value: (r: (typeof rows)[number]) => r.a },
      { header: 'b', value: (r: (typeof rows)[number]) => r.b },
    ];
    expect(table(rows, columns)).toBe('A       B\nx       -\nlonger  2');
    expect(table([], columns)).toBe('(none)');
  });

  it('packs what .bazaarignore leaves, into an archive the API accepts, and names a link it refuses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bazaar-pack-'));
    await mkdir(join(dir, 'lib'));
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, 'main.js'), 'console.log(1)');
    await writeFile(join(dir, 'lib', 'util.js'), 'export {}');
    await writeFile(join(dir, 'debug.log'), 'noise');
    await writeFile(join(dir, '.git', 'HEAD'), 'ref');
    await writeFile(join(dir, '.bazaarignore'), '*.log\n');
    expect(await listAgentFiles(dir)).toEqual(['lib/util.js', 'main.js']);
    const packed = await packAgent(dir);
    expect((await inspectArtifact(packed.archive)).files).toBe(2);

    await symlink('/etc/hostname', join(dir, 'lib', 'host'));
    await expect(listAgentFiles(dir)).rejects.toThrow('lib/host is a symbolic link');
    await writeFile(join(dir, '.bazaarignore'), '*\n');
    await expect(listAgentFiles(dir)).rejects.toThrow('holds no files to pack');
  });
});
