// The sandbox's seccomp filter, run here by a minimal classic-BPF interpreter over the very bytes
// bubblewrap loads, for the verdict on a given syscall, arch and first argument.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileSeccompFilter,
  deniedSyscalls,
  seccompAction,
  seccompFilterFor,
} from '../../src/runtime/local/sandbox/seccomp-filter.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const EPERM = seccompAction.errno(1);
const ENOSYS = seccompAction.errno(38);
const nr = { read: 0, write: 1, mmap: 9, getpid: 39, clone: 56, futex: 202, openat: 257, clone3: 435 };
const personality = 135;

/** The filter's verdict on one syscall, as the kernel would evaluate it (opcodes the filter uses). */
function verdict(filter: Buffer, call: { nr: number; arch?: number; arg0?: bigint }): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch ?? AUDIT_ARCH_X86_64, 4);
  data.writeBigUInt64LE(call.arg0 ?? 0n, 16);
  const length = filter.length / 8;
  let accumulator = 0;
  for (let pc = 0; pc < length;) {
    const code = filter.readUInt16LE(pc * 8);
    const [jt, jf] = [filter[pc * 8 + 2]!, filter[pc * 8 + 3]!];
    const k = filter.readUInt32LE(pc * 8 + 4);
    pc += 1;
    if (code === 0x20) accumulator = data.readUInt32LE(k);
    else if (code === 0x15) pc += accumulator === k ? jt : jf;
    else if (code === 0x35) pc += accumulator >= k ? jt : jf;
    else if (code === 0x45) pc += (accumulator & k) !== 0 ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
  }
  throw new Error('the program ran past its end');
}

describe('sandbox seccomp filter', () => {
  const filter = compileSeccompFilter();

  it('is a valid program that checks the arch first', () => {
    expect(filter.length % 8).toBe(0);
    expect(filter.length / 8).toBeLessThanOrEqual(4096);
    // ld [4]: seccomp_data.arch, then a comparison with AUDIT_ARCH_X86_64.
    expect(filter.readUInt16LE(0)).toBe(0x20);
    expect(filter.readUInt32LE(4)).toBe(4);
    expect(filter.readUInt32LE(12)).toBe(AUDIT_ARCH_X86_64);
  });

  it('kills a process calling through another ABI: i386 (int 0x80) or x32 numbers', () => {
    expect(verdict(filter, { nr: nr.getpid, arch: AUDIT_ARCH_I386 })).toBe(seccompAction.killProcess);
    expect(verdict(filter, { nr: 0x40000000 + nr.getpid })).toBe(seccompAction.killProcess);
    expect(verdict(filter, { nr: 0x40000000 + deniedSyscalls.mount! })).toBe(seccompAction.killProcess);
  });

  it.each(Object.entries(deniedSyscalls))('refuses %s (%i) with EPERM', (_name, number) => {
    expect(verdict(filter, { nr: number })).toBe(EPERM);
  });

  it('allows the ordinary syscalls', () => {
    for (const number of [nr.read, nr.write, nr.mmap, nr.getpid, nr.futex, nr.openat]) {
      expect(verdict(filter, { nr: number })).toBe(seccompAction.allow);
    }
  });

  it('allows clone for threads and processes, refuses it with any namespace flag', () => {
    const thread = 0x3d0f00n; // glibc's pthread_create flags
    const fork = 0x01200011n; // CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
    expect(verdict(filter, { nr: nr.clone, arg0: thread })).toBe(seccompAction.allow);
    expect(verdict(filter, { nr: nr.clone, arg0: fork })).toBe(seccompAction.allow);
    // The kernel reads only the low 32 bits of clone's flags.
    expect(verdict(filter, { nr: nr.clone, arg0: fork | 0xffffffff00000000n })).toBe(seccompAction.allow);
    // CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
    for (const flag of [
      0x20000n,
      0x2000000n,
      0x4000000n,
      0x8000000n,
      0x10000000n,
      0x20000000n,
      0x40000000n,
    ]) {
      expect(verdict(filter, { nr: nr.clone, arg0: fork | flag })).toBe(EPERM);
    }
  });

  it('answers clone3 with ENOSYS, so libc falls back to clone', () => {
    expect(verdict(filter, { nr: nr.clone3 })).toBe(ENOSYS);
  });

  it("allows only Docker's personality values", () => {
    for (const persona of [0x0n, 0x8n, 0x20000n, 0x20008n, 0xffffffffn]) {
      expect(verdict(filter, { nr: personality, arg0: persona })).toBe(seccompAction.allow);
    }
    // ADDR_NO_RANDOMIZE (no ASLR), READ_IMPLIES_EXEC
    for (const persona of [0x0040000n, 0x0400000n]) {
      expect(verdict(filter, { nr: personality, arg0: persona })).toBe(EPERM);
    }
  });

  // The kernel headers, where installed, are the reference for the table's numbers.
  const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  it.skipIf(!existsSync(header))("numbers each syscall as the kernel's x86_64 headers do", () => {
    const numbers = new Map(
      [...readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    for (const [name, number] of Object.entries(deniedSyscalls))
      expect({ name, number }).toEqual({ name, number: numbers.get(name) });
    expect(numbers.get('clone')).toBe(nr.clone);
    expect(numbers.get('clone3')).toBe(nr.clone3);
    expect(numbers.get('personality')).toBe(personality);
  });

  it('is built for x86_64 only', () => {
    expect(seccompFilterFor('x64')).toEqual(filter);
    expect(seccompFilterFor('arm64')).toBeNull();
  });
});
