"""Bounds on a submission's processes taken together: memory and count.

A per-process ``prlimit`` cannot bound a submission that forks: each child
gets the whole allowance again. The watchdog samples the kernel's process
tree from outside the sandbox and kills the kernel when the tree as a whole
goes over a bound, remembering which bound it was so that the notebook can
say so to the student.
"""
import threading

import psutil


class LimitHit(tuple):
    """(kind, detail for the instructor, message for the student) of a bound that stopped a kernel."""

    def __new__(cls, kind, detail, message):
        return super().__new__(cls, (kind, detail, message))

    kind = property(lambda self: self[0])
    detail = property(lambda self: self[1])
    message = property(lambda self: self[2])


def _mib(n):
    return f"{n / 2**20:.0f} Mio"


def memory_limit_hit(used, limit):
    return LimitHit(
        "memory_limit",
        f"the submission's processes used {used / 2**20:.0f} MiB together (limit {limit / 2**20:.0f} MiB)",
        f"Le notebook a dépassé la mémoire autorisée pour la correction ({_mib(limit)} pour l'ensemble de ses "
        "processus) : le noyau a été arrêté. Cherchez une cellule qui crée de très gros tableaux ou beaucoup "
        "de processus.",
    )


def process_limit_hit(count, limit):
    return LimitHit(
        "process_limit",
        f"the submission ran {count} processes at once (limit {limit})",
        f"Le notebook a lancé trop de processus à la fois (plus de {limit}) : le noyau a été arrêté.",
    )


def process_tree(root_pid):
    """The process ``root_pid`` and all its descendants (those still alive)."""
    try:
        root = psutil.Process(root_pid)
        return [root] + root.children(recursive=True)
    except psutil.Error:
        return []


class TreeWatchdog(threading.Thread):
    """Sample a process tree every ``interval`` seconds; call ``on_limit(LimitHit)`` once when a bound is passed."""

    def __init__(self, root_pid, on_limit, memory_limit=0, process_limit=0, interval=0.2, include_root=True):
        """``include_root=False``: the root only holds the tree (it runs nothing of the submission's), so
        neither its memory nor itself counts."""
        super().__init__(daemon=True, name=f"watchdog-{root_pid}")
        self.root_pid, self.on_limit, self.include_root = root_pid, on_limit, include_root
        self.memory_limit, self.process_limit, self.interval = memory_limit, process_limit, interval
        self.peak_memory = 0
        self._stopped = threading.Event()

    def stop(self):
        self._stopped.set()

    def measure(self):
        """(resident bytes, process count) of the tree now."""
        used = count = 0
        for process in process_tree(self.root_pid)[0 if self.include_root else 1:]:
            try:
                used += process.memory_info().rss
                count += 1
            except psutil.Error:
                pass
        return used, count

    def run(self):
        while not self._stopped.wait(self.interval):
            used, count = self.measure()
            self.peak_memory = max(self.peak_memory, used)
            hit = None
            if self.memory_limit and used > self.memory_limit:
                hit = memory_limit_hit(used, self.memory_limit)
            elif self.process_limit and count > self.process_limit:
                hit = process_limit_hit(count, self.process_limit)
            if hit is not None:
                self.on_limit(hit)
                return
