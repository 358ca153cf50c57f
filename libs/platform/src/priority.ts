import * as fs from 'node:fs';
import * as os from 'node:os';

// CPU priority, as nice values added to what a thread has. On Linux a nice value belongs to a
// thread, not a process: setpriority(2) takes a thread id, and a new thread starts with the
// value of the thread that created it.

/** nice values range up to 19 (the lowest priority). */
const lowest = 19;

function lower(tid: number, niceness: number): void {
  os.setPriority(tid, Math.min(lowest, os.getPriority(tid) + niceness));
}

/**
 * Lowers the calling thread's priority, not its process's (Linux, through /proc/thread-self).
 * Elsewhere, or when not allowed, the thread keeps its priority.
 */
export function lowerThreadPriority(niceness: number): void {
  if (niceness <= 0) return;
  try {
    lower(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()), niceness);
  } catch {
    // Not Linux, or not allowed.
  }
}

/**
 * Lowers the whole process's priority: on Linux every thread it has (V8's helpers were started
 * before any of our code), and so every thread it starts later; elsewhere the process's own.
 * Call it before starting threads of a different priority (the outbox relay's is relative).
 */
export function lowerProcessPriority(niceness: number): void {
  if (niceness <= 0) return;
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    try {
      lower(0, niceness);
    } catch {
      // Not allowed: the process keeps its priority.
    }
    return;
  }
  for (const tid of tids) {
    try {
      lower(Number(tid), niceness);
    } catch {
      // A thread that has just ended, or not allowed.
    }
  }
}
