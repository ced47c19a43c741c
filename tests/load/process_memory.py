"""Resident memory of a process and its descendants, read from Linux's ``/proc``.

A gunicorn master forks its workers and the events worker (``rundramatiq``, which execs ``dramatiq``) forks
its worker processes, so a service's memory is its whole process tree's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class TreeMemory:
    """The resident set of a process tree at one moment: the total and each process's, by pid."""

    total_bytes: int
    by_pid: dict[int, int]

    @property
    def total_mb(self) -> float:
        return self.total_bytes / 2**20


def tree_memory(root: int) -> TreeMemory:
    """The VmRSS of ``root`` and every descendant still alive."""
    by_pid = {pid: rss for pid in [root, *descendants(root)] if (rss := resident_bytes(pid)) is not None}
    return TreeMemory(sum(by_pid.values()), by_pid)


def resident_bytes(pid: int) -> int | None:
    """A process's VmRSS in bytes, or ``None`` once it has gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # reported in kB
    return 0  # a zombie has no VmRSS line


def descendants(root: int) -> list[int]:
    """Every process below ``root``, found by the parent pid in each ``/proc/<pid>/stat``."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        # The command name (field 2) is in parentheses and may hold spaces; the parent pid follows it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found
