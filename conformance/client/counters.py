"""Run-wide counters shared by the pytest-xdist workers through files in the run's private
directory: the request budget, the time spent waiting on the target, whether it went away, the
workspaces made, the shared creates and the request slots."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO

from conformance.model.outcome import BudgetExhausted, CreatesLeftOut, ProbeError, WaitSpent


class Budget:
    """A hard cap on requests sent, shared by every probe of a process, and across
    pytest-xdist workers when given a counter file (so `-n 4` cannot send 4x the budget)."""

    def __init__(self, limit: int | None, counter_file: str | None = None):
        self.limit = limit
        self.sent = 0  # by this process
        self.counter_file = counter_file
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.limit is not None:
                spent = self._take_shared(self.counter_file, self.limit) if self.counter_file else self.sent
                if spent >= self.limit:
                    raise BudgetExhausted(f"the request budget (--conformance-max-requests {self.limit}) is spent")
            self.sent += 1

    @staticmethod
    def _take_shared(counter_file: str, limit: int) -> int:
        """Read-and-increment the run-wide count; returns the count before this request, or
        the limit when it is already reached."""
        with locked_numbers(counter_file) as numbers:
            spent = numbers[0] if numbers else 0
            if spent < limit:
                numbers[:] = [spent + 1]
            return spent


class WaitBudget:
    """The run's time for honouring Retry-After, in all (--conformance-max-wait): shared by every
    probe of a process, and across pytest-xdist workers when given a counter file, which holds
    "<milliseconds waited> <1 once spent>". Once a wait does not fit, nothing more is sent."""

    def __init__(self, limit: float, counter_file: str | None = None):
        self.limit = limit
        self.counter_file = counter_file
        self.waited = 0.0  # by this process
        self.spent = False  # known spent, here
        self._lock = threading.Lock()

    def check(self) -> None:
        """Before a request is sent: raise WaitSpent (not run) once the run stopped sending."""
        if not self.spent and self.counter_file:
            with locked_numbers(self.counter_file) as numbers:
                self.spent = len(numbers) > 1 and numbers[1] == 1
        if self.spent:
            raise WaitSpent(
                f"not sent: the run stopped sending once its time for waiting on the target "
                f"(--conformance-max-wait {self.limit:g} s) was spent",
                first=False,
            )

    def take(self, seconds: float) -> tuple[bool, float]:
        """Reserve `seconds` of waiting: (whether it fits, the run's waits in all so far). A wait
        that does not fit marks the run spent."""
        with self._lock:
            if self.counter_file:
                with locked_numbers(self.counter_file) as numbers:
                    waited_ms, spent = ([*numbers, 0, 0])[:2]
                    fits = not spent and waited_ms + seconds * 1000 <= self.limit * 1000
                    numbers[:] = [waited_ms + round(seconds * 1000), 0] if fits else [waited_ms, 1]
                    total = (waited_ms + (round(seconds * 1000) if fits else 0)) / 1000
            else:
                fits = not self.spent and self.waited + seconds <= self.limit
                total = self.waited + (seconds if fits else 0)
            if fits:
                self.waited += seconds
            else:
                self.spent = True
            return fits, total


class WentAway:
    """Whether the target has gone away after answering, run-wide: under pytest-xdist the first
    worker to see it records why in the run's directory, so the others do not blame a request of
    their own for it."""

    def __init__(self, directory: str | None = None):
        self.directory = directory
        self.reason: str | None = None

    def known(self) -> str | None:
        if self.reason is None and self.directory:
            path = os.path.join(self.directory, "went-away")
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    self.reason = handle.read() or None
        return self.reason

    def claim(self, reason: str) -> str | None:
        """Record `reason`; returns the reason recorded before (another worker saw it first), or None."""
        if self.known() is not None:
            return self.reason
        if self.directory:
            with open(os.path.join(self.directory, "went-away"), "a+", encoding="utf-8", errors="replace") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                handle.seek(0)
                earlier = handle.read()
                if earlier:
                    self.reason = earlier
                    return earlier
                handle.write(reason)
        self.reason = reason
        return None


@contextlib.contextmanager
def locked_numbers(path: str) -> Iterator[list[int]]:
    """The whole numbers a run-wide counter file holds (the workers of one pytest-xdist run
    share it), as a list to change in place: read under an exclusive lock, written back when
    changed, before the lock is let go."""
    with open(path, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        before = [int(n) for n in handle.read().split()]
        numbers = list(before)
        yield numbers
        if numbers != before:
            handle.seek(0)
            handle.write(" ".join(map(str, numbers)))
            handle.truncate()


class CreateCount:
    """The workspaces the run's creates made (answers with a 2xx status), counted across
    pytest-xdist workers when given a counter file, so `--conformance-max-creates N` holds for
    the whole run, not per worker. Under a cap, a create holds a place while it is in flight
    (two workers never both send the last one the budget allows); a place is kept under the
    holder's process id, so one a worker killed mid-request held is given back. The file holds
    "<made> <pid of each create in flight>..."."""

    def __init__(self, counter_file: str | None = None):
        self.counter_file = counter_file
        self.mine = 0  # made by this process's creates

    def made(self) -> int:
        """How many the whole run has made so far."""
        if not self.counter_file:
            return self.mine
        with locked_numbers(self.counter_file) as numbers:
            return numbers[0] if numbers else 0

    def reserve(self, cap: int, wait: float) -> bool:
        """Hold a place for one create, or raise CreatesLeftOut once `cap` workspaces exist.
        Where the places left are held by creates in flight in other workers, wait up to `wait`
        seconds for them to be answered (they may be refused) rather than guess."""
        if not self.counter_file:
            if self.mine >= cap:
                raise CreatesLeftOut(
                    f"the workspace budget is spent: {self.mine} created, --conformance-max-creates {cap}"
                )
            return False
        deadline = time.monotonic() + wait
        while True:
            with locked_numbers(self.counter_file) as numbers:
                made, flying = _made_and_flying(numbers)
                if made >= cap:
                    raise CreatesLeftOut(
                        f"the workspace budget is spent: {made} created, --conformance-max-creates {cap}"
                    )
                if made + len(flying) < cap:
                    numbers[:] = [made, *flying, os.getpid()]
                    return True
            if time.monotonic() > deadline:
                raise CreatesLeftOut(
                    f"no place in the workspace budget came free in {wait:.0f} s: {made} "
                    f"created and {len(flying)} creates in flight in other workers, "
                    f"--conformance-max-creates {cap}"
                )
            time.sleep(0.005)

    def settle(self, made: bool, held: bool) -> None:
        """A create was answered (`made`: with a 2xx status); give back its place if `held`."""
        self.mine += made
        if held:
            if self.counter_file is None:
                raise RuntimeError("CreateCount.settle: a place is held (by reserve) only with a counter file")
            with locked_numbers(self.counter_file) as numbers:
                count, flying = _made_and_flying(numbers)
                if os.getpid() in flying:
                    flying.remove(os.getpid())
                numbers[:] = [count + made, *flying]


def _made_and_flying(numbers: list[int]) -> tuple[int, list[int]]:
    """The count made, and the places in flight of processes that still exist."""
    return (numbers[0] if numbers else 0), [pid for pid in numbers[1:] if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True


class SharedCreates:
    """The run's shared creates (the baseline, the minimal body, ...: see Target.shared_create),
    each made once for the whole run. Under pytest-xdist they are kept in a directory every
    worker reads: the first worker to need one makes it while holding its lock, the others read
    its exchange, so a parallel run leaves the same workspaces as a serial one."""

    def __init__(self, directory: str | None = None):
        self.directory = directory
        self.here: dict[str, tuple] = {}  # kind -> (exchange, body), as this process knows them

    def known(self, kind: str) -> tuple | None:
        if kind not in self.here and self.directory:
            path = self._path(self.directory, kind)
            if os.path.exists(path):
                self.here[kind] = self._read(path)
        return self.here.get(kind)

    def get(self, kind: str, make: Callable[[], tuple]) -> tuple[tuple, bool]:
        """(exchange, body) of `kind`, and whether `make()` was called for it here."""
        if kind in self.here:
            return self.here[kind], False
        if not self.directory:
            self.here[kind] = make()
            return self.here[kind], True

        path = self._path(self.directory, kind)
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # held by the worker making it, while it sends
            if os.path.exists(path):
                self.here[kind] = self._read(path)
                return self.here[kind], False
            self.here[kind] = made = make()  # if it raises, the next worker to need it tries
            with open(path + ".part", "wb") as out:
                pickle.dump(made, out)
            os.replace(path + ".part", path)
            return made, True

    @staticmethod
    def _path(directory: str, kind: str) -> str:
        return os.path.join(
            directory, "shared-" + hashlib.sha256(kind.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        )

    @staticmethod
    def _read(path: str) -> tuple:
        with open(path, "rb") as handle:  # written by a worker of this run, in the run's private directory
            return pickle.load(handle)


class Slots:
    """A cap on requests in flight at once across pytest-xdist workers: N lock files, a
    request holds one for its duration. Within one process requests are sequential anyway."""

    def __init__(self, limit: int | None, directory: str | None = None, wait: float = 60.0):
        self.limit, self.directory, self.wait = limit, directory, wait
        self._held: IO[str] | None = None

    def __enter__(self) -> Slots:
        if not self.limit or not self.directory:
            return self

        deadline = time.monotonic() + self.wait
        while True:
            for slot in range(self.limit):
                handle = open(os.path.join(self.directory, f"slot-{slot}"), "a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    handle.close()
                    continue
                self._held = handle
                return self
            if time.monotonic() > deadline:
                raise ProbeError(
                    f"no request slot came free in {self.wait:.0f} s (--conformance-max-concurrency {self.limit})"
                )
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        if self._held is not None:
            self._held.close()  # closing releases the lock
            self._held = None
