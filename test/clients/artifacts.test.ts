import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactKind, artifactNameProblem, collectArtifacts, sha256File, UnsafeArtifactError } from '../../clients/artifacts.js';

let base: string;
let n = 0;
const fresh = async (): Promise<string> => {
  const dir = join(base, `out-${n++}`);
  await mkdir(dir);
  return dir;
};
const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'stratus-artifacts-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('collectArtifacts', () => {
  it('lists every file a build wrote with kind, sha256 and size, sorted by name', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'Fedora-Atomic.x86_64.qcow2'), 'qcow');
    await writeFile(join(dir, 'Fedora-Atomic.raw.xz'), 'raw');
    await writeFile(join(dir, 'atomic.vagrant-libvirt.box'), 'box');
    await writeFile(join(dir, 'installer.iso'), '');
    await mkdir(join(dir, 'logs'));
    await writeFile(join(dir, 'logs', 'build.log'), 'log');
    await symlink('Fedora-Atomic.raw.xz', join(dir, 'latest.raw.xz'));
    const artifacts = await collectArtifacts(dir);
    expect(artifacts.map(({ name, kind, size, sha256 }) => ({ name, kind, size, sha256 }))).toEqual([
      { name: 'Fedora-Atomic.raw.xz', kind: 'raw.xz', size: 3, sha256: sha('raw') },
      { name: 'Fedora-Atomic.x86_64.qcow2', kind: 'qcow2', size: 4, sha256: sha('qcow') },
      { name: 'atomic.vagrant-libvirt.box', kind: 'vagrant-box', size: 3, sha256: sha('box') },
      { name: 'installer.iso', kind: 'iso', size: 0, sha256: sha('') },
      { name: 'latest.raw.xz', kind: 'raw.xz', size: 3, sha256: sha('raw') },
      { name: 'logs/build.log', kind: 'other', size: 3, sha256: sha('log') },
    ]);
    expect(artifacts[5]!.path).toBe(join(dir, 'logs', 'build.log'));
  });

  it('returns nothing for an empty output dir', async () => {
    expect(await collectArtifacts(await fresh())).toEqual([]);
  });

  it('hashes large files by streaming', async () => {
    const dir = await fresh();
    const data = Buffer.alloc(5 * 1024 * 1024 + 17, 7);
    await writeFile(join(dir, 'big.qcow2'), data);
    expect(await sha256File(join(dir, 'big.qcow2'))).toEqual({ sha256: sha(data), size: data.length });
  });

  it('refuses a symlink that escapes the output dir', async () => {
    const dir = await fresh();
    await writeFile(join(base, 'secret.txt'), 'do not publish');
    await symlink(join(base, 'secret.txt'), join(dir, 'image.qcow2'));
    const error = await collectArtifacts(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArtifactError);
    expect((error as Error).message).toBe(`artifact "image.qcow2" in ${dir} is not allowed: it is a symlink that points outside the output dir`);
    const dir2 = await fresh();
    await symlink('../', join(dir2, 'up'));
    await expect(collectArtifacts(dir2)).rejects.toThrow('artifact "up" in');
  });

  it('refuses dangling links, directory links and special files', async () => {
    const dangling = await fresh();
    await symlink('nowhere', join(dangling, 'gone.iso'));
    await expect(collectArtifacts(dangling)).rejects.toThrow('is not allowed: it is a dangling symlink');
    const dirLink = await fresh();
    await mkdir(join(dirLink, 'sub'));
    await symlink('sub', join(dirLink, 'alias'));
    await expect(collectArtifacts(dirLink)).rejects.toThrow('it is a symlink to something other than a regular file');
    const fifo = await fresh();
    execFileSync('mkfifo', [join(fifo, 'pipe')]);
    await expect(collectArtifacts(fifo)).rejects.toThrow('artifact "pipe"');
  });

  it('refuses names with control characters and too many files', async () => {
    const dir = await fresh();
    await writeFile(join(dir, 'evil\nname.qcow2'), 'x');
    await expect(collectArtifacts(dir)).rejects.toThrow('control characters and backslashes are not allowed');
    const many = await fresh();
    for (let i = 0; i < 4; i++) await writeFile(join(many, `f${i}`), 'x');
    await expect(collectArtifacts(many, { maxFiles: 3 })).rejects.toThrow('the build wrote more than 3 files');
  });

  it('says when the output dir does not exist', async () => {
    await expect(collectArtifacts(join(base, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('artifact names', () => {
  it.each([
    ['disk.qcow2', null],
    ['sub/disk.qcow2', null],
    ['../disk.qcow2', '"", "." and ".." path segments are not allowed'],
    ['a/../../b', '"", "." and ".." path segments are not allowed'],
    ['/etc/passwd', 'absolute paths are not allowed'],
    ['a\\b', 'control characters and backslashes are not allowed'],
    ['', 'the name is empty'],
  ])('%j', (name, problem) => {
    expect(artifactNameProblem(name)).toBe(problem);
  });

  it('guesses kinds from names', () => {
    expect(['a.QCOW2', 'b.raw.xz', 'c.box', 'd.iso', 'e.raw', 'f.tar.xz'].map(artifactKind)).toEqual(['qcow2', 'raw.xz', 'vagrant-box', 'iso', 'other', 'other']);
  });
});
