// The sandbox's seccomp filter, compiled by hand into classic BPF (what `bwrap --seccomp FD` loads):
// a denylist in the spirit of Docker's default profile. An agent never holds the capabilities most
// of these need; refusing them here keeps the kernel code behind them out of its reach even so.

/** The x86_64 syscalls an agent is refused (EPERM), by name: the why is on each line. */
export const deniedSyscalls: Readonly<Record<string, number>> = {
  unshare: 272, // new namespaces: a user namespace would reach kernel code otherwise reserved for root
  setns: 308, // joining another namespace
  keyctl: 250, // kernel keyrings are not namespaced: keys outlive the run and are shared per uid
  add_key: 248, // as keyctl
  request_key: 249, // as keyctl
  ptrace: 101, // tracing processes (PTRACE_TRACEME included): reading and rewriting their memory
  process_vm_readv: 310, // reading another process's memory
  process_vm_writev: 311, // writing another process's memory
  kcmp: 312, // comparing other processes' kernel objects, ptrace-class information
  mount: 165, // rearranging the file system the sandbox is built from
  umount2: 166, // uncovering what a mount hides
  pivot_root: 155, // changing the root the sandbox set up
  fsopen: 430, // the newer mount API, as mount
  fsconfig: 431, // as fsopen
  fsmount: 432, // as fsopen
  fspick: 433, // as fsopen
  move_mount: 429, // as fsopen
  open_tree: 428, // as fsopen
  mount_setattr: 442, // changing mount flags (read-only) after the fact
  bpf: 321, // loading programs into the kernel
  perf_event_open: 298, // kernel profiling: side channels and a frequent source of kernel bugs
  userfaultfd: 323, // stalls kernel page faults, the widened race window many exploits rely on
  io_uring_setup: 425, // a large, often exploited kernel interface (libuv falls back to threads)
  io_uring_enter: 426, // as io_uring_setup
  io_uring_register: 427, // as io_uring_setup
  kexec_load: 246, // booting another kernel
  kexec_file_load: 320, // as kexec_load
  init_module: 175, // loading kernel modules
  finit_module: 313, // as init_module
  delete_module: 176, // unloading kernel modules
  reboot: 169, // rebooting the host
  swapon: 167, // the host's swap
  swapoff: 168, // as swapon
  acct: 163, // process accounting to a file of its choosing
  settimeofday: 164, // the clock is not namespaced: the host's time
  clock_settime: 227, // as settimeofday
  clock_adjtime: 305, // as settimeofday
  syslog: 103, // the kernel log, whose addresses defeat KASLR
  open_by_handle_at: 304, // opens files by handle, past the mount namespace ("shocker")
  name_to_handle_at: 303, // the other half of open_by_handle_at
  iopl: 172, // raw I/O port access
  ioperm: 173, // as iopl
  lookup_dcookie: 212, // a kernel-profiling interface
  quotactl: 179, // the host file systems' quotas
  quotactl_fd: 443, // as quotactl
  fanotify_init: 300, // watching a whole file system
  vhangup: 153, // hanging up the terminal
};

/** Syscalls with a rule of their own rather than a plain refusal. */
const syscalls = { clone: 56, clone3: 435, personality: 135 } as const;

// clone() flags that create namespaces (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
// NEWNET); clone() without them is how Node starts threads and processes.
const cloneNamespaceFlags = 0x7e020000;
// personality() values Docker allows: PER_LINUX, PER_LINUX32, UNAME26 (with either), and the query
// 0xffffffff. Others switch off ASLR (ADDR_NO_RANDOMIZE) or make data executable.
const allowedPersonalities = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

const AUDIT_ARCH_X86_64 = 0xc000003e;
// Syscall numbers with this bit set are the x32 ABI's, which shares the x86_64 arch value.
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
const ENOSYS = 38;

/** The filter's verdicts (seccomp return values). */
export const seccompAction = {
  allow: 0x7fff0000,
  killProcess: 0x80000000,
  errno: (errno: number) => 0x00050000 | errno,
} as const;

/** Offsets in struct seccomp_data: nr, arch, then 64-bit args whose low half comes first. */
const offsets = { nr: 0, arch: 4, argLow: (index: number) => 16 + 8 * index } as const;

/** One classic BPF instruction (struct sock_filter). */
interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_JSET_K = 0x45;
const BPF_RET_K = 0x06;

const load = (offset: number): Instruction => ({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: offset });
const jumpIfEqual = (k: number, jt: number, jf: number): Instruction => ({ code: BPF_JEQ_K, jt, jf, k });
const jumpIfAtLeast = (k: number, jt: number, jf: number): Instruction => ({ code: BPF_JGE_K, jt, jf, k });
const jumpIfAnyBit = (k: number, jt: number, jf: number): Instruction => ({ code: BPF_JSET_K, jt, jf, k });
const ret = (action: number): Instruction => ({ code: BPF_RET_K, jt: 0, jf: 0, k: action >>> 0 });

/** The filter as instructions. The accumulator holds the syscall number except inside a rule's block. */
function program(): Instruction[] {
  const instructions: Instruction[] = [
    // Another ABI (i386 through int 0x80, or x32) would reach the same kernel code under other
    // numbers, past every rule below: never legitimate here, so the process is killed (SIGSYS).
    load(offsets.arch),
    jumpIfEqual(AUDIT_ARCH_X86_64, 1, 0),
    ret(seccompAction.killProcess),
    load(offsets.nr),
    jumpIfAtLeast(X32_SYSCALL_BIT, 0, 1),
    ret(seccompAction.killProcess),
  ];
  for (const nr of Object.values(deniedSyscalls)) {
    instructions.push(jumpIfEqual(nr, 0, 1), ret(seccompAction.errno(EPERM)));
  }
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone.
  instructions.push(jumpIfEqual(syscalls.clone3, 0, 1), ret(seccompAction.errno(ENOSYS)));
  instructions.push(
    jumpIfEqual(syscalls.clone, 0, 4),
    load(offsets.argLow(0)),
    jumpIfAnyBit(cloneNamespaceFlags, 0, 1),
    ret(seccompAction.errno(EPERM)),
    ret(seccompAction.allow),
  );
  const count = allowedPersonalities.length;
  instructions.push(
    jumpIfEqual(syscalls.personality, 0, count + 3),
    load(offsets.argLow(0)),
    ...allowedPersonalities.map((persona, index) => jumpIfEqual(persona, count - index, 0)),
    ret(seccompAction.errno(EPERM)),
    ret(seccompAction.allow),
  );
  instructions.push(ret(seccompAction.allow));
  return instructions;
}

/** The filter compiled for x86_64 (struct sock_filter array, little-endian), as bubblewrap reads it. */
export function compileSeccompFilter(): Buffer {
  const instructions = program();
  const bytes = Buffer.alloc(instructions.length * 8);
  instructions.forEach(({ code, jt, jf, k }, index) => {
    bytes.writeUInt16LE(code, index * 8);
    bytes.writeUInt8(jt, index * 8 + 2);
    bytes.writeUInt8(jf, index * 8 + 3);
    bytes.writeUInt32LE(k, index * 8 + 4);
  });
  return bytes;
}

/** The filter for agents on a machine of `arch` (Node's names), or null where none is built. */
export function seccompFilterFor(arch: string): Buffer | null {
  return arch === 'x64' ? compileSeccompFilter() : null;
}
