"""Run one command and record its wall time, peak RSS and exit status.

    python -I -S benchmarks/spawn.py RESULT_FILE [--cgroup DIR] [--stdout FILE] -- COMMAND [ARG...]

The benchmark runner starts every measured command through this small launcher rather than
forking it from its own (large) process: Linux carries the forking process's high-water RSS into
the child's ``ru_maxrss``, so a command forked from a runner that has polars loaded would never
report less than the runner's size. From here (a ~10 MiB interpreter without site packages) the
figure is the command's own. With ``--cgroup DIR`` the launcher first moves itself into that
cgroup (``cgroup.procs``), so the command runs under the group's memory limit. ``--stdout``
sends the command's standard output to FILE (for checking it afterwards). Writes
``<wall seconds> <maxrss KiB> <exit code>`` to RESULT_FILE.
"""

import os
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    result = args.pop(0)
    if args and args[0] == "--cgroup":
        with open(os.path.join(args[1], "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))
        args = args[2:]
    stdout = None
    if args and args[0] == "--stdout":
        stdout, args = args[1], args[2:]
    if not args or args.pop(0) != "--" or not args:
        sys.stderr.write("usage: spawn.py RESULT_FILE [--cgroup DIR] [--stdout FILE] -- COMMAND [ARG...]\n")
        sys.exit(2)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            if stdout is not None:
                fd = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(fd, 1)
                os.close(fd)
            os.execvp(args[0], args)
        except OSError as exc:
            os.write(2, f"cannot start {args[0]!r}: {exc.strerror}\n".encode())
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(result, "w") as out:
        out.write(f"{wall!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")


if __name__ == "__main__":
    main()
