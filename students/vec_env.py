"""A ``SubprocVecEnv`` that notices dead workers at once: :class:`GuardedSubprocVecEnv`.

SB3's ``SubprocVecEnv`` reads its workers' replies with a plain ``Connection.recv()``. When
a worker dies, that read only ends if the pipe reports end-of-file, and it never does under
the ``fork`` start method (later workers inherit copies of earlier workers' pipe ends), and
``close()`` then waits forever on the dead worker. Here:

- every connection to a worker is a :class:`WorkerConnection`: ``recv()`` waits on the pipe
  *and* the worker's ``process.sentinel`` and raises :class:`WorkerCrashedError` (naming the
  worker's index and its exception) as soon as the worker is dead;
- a worker that raises sends its exception's text through its own pipe before exiting, so
  the parent's error names it under every start method (``fork``, ``forkserver``,
  ``spawn``); a worker killed by a signal is reported with its exit code;
- under ``fork``, each worker closes the inherited parent-side pipe ends of the other
  workers, so every worker still sees end-of-file (and exits) if the main process dies;
- :meth:`GuardedSubprocVecEnv.close` never blocks: workers that do not exit within a
  timeout are terminated, then killed.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

import gymnasium as gym
from stable_baselines3.common.vec_env import SubprocVecEnv, VecEnv
from stable_baselines3.common.vec_env.base_vec_env import CloudpickleWrapper
from stable_baselines3.common.vec_env.subproc_vec_env import _worker

__all__ = ["GuardedSubprocVecEnv", "WorkerConnection", "WorkerCrashedError"]


class WorkerCrashedError(RuntimeError):
    """A vector-env worker process died.

    :param index: the worker's env index.
    :param reason: its exception (``"RuntimeError: boom"``) or how it ended.
    :param worker_traceback: the worker's traceback text, when it raised.
    """

    def __init__(self, index: int, reason: str, worker_traceback: str | None = None) -> None:
        super().__init__(f"worker {index} crashed: {reason}")
        self.index, self.reason, self.worker_traceback = index, reason, worker_traceback


class _WorkerFailure:
    """What a worker sends through its pipe instead of a reply when it raised."""

    def __init__(self, reason: str, worker_traceback: str) -> None:
        self.reason, self.worker_traceback = reason, worker_traceback


def _guarded_worker(
    remote: Connection,
    parent_remote: Connection,
    env_fn_wrapper: CloudpickleWrapper,
    inherited: Sequence[Connection] = (),
) -> None:
    """The worker process: SB3's command loop; an exception is reported, then the worker exits.

    :param inherited: parent-side pipe ends of other workers that this (forked) worker
        inherited; closed first so that those workers see end-of-file when the parent dies.
    """
    for connection in inherited:
        connection.close()
    try:
        _worker(remote, parent_remote, env_fn_wrapper)
    except BaseException as err:  # noqa: BLE001 (report anything, then exit non-zero)
        try:
            remote.send(_WorkerFailure(f"{type(err).__name__}: {err}", traceback.format_exc()))
        except Exception:  # noqa: BLE001, S110 (the parent is gone: nobody to tell)
            pass
        sys.exit(1)


class WorkerConnection:
    """The parent's end of one worker's pipe; ``recv()`` also watches the worker's life.

    :param connection: the pipe end.
    :param process: the worker process.
    :param index: the worker's env index (named in errors).
    """

    def __init__(self, connection: Connection, process: Any, index: int) -> None:
        self.connection, self.process, self.index = connection, process, index

    def send(self, obj: Any) -> None:
        """Send a command; a dead worker raises :class:`WorkerCrashedError`."""
        try:
            self.connection.send(obj)
        except OSError:  # BrokenPipeError, ConnectionResetError: the reader is gone
            raise self._crashed() from None

    def recv(self, timeout: float | None = None) -> Any:
        """The worker's next reply.

        :param timeout: seconds to wait (``None``: as long as the worker lives).
        :raises WorkerCrashedError: when the worker is dead or reported its exception.
        :raises TimeoutError: when ``timeout`` passed without a reply.
        """
        if not self.connection.poll():
            ready = wait([self.connection, self.process.sentinel], timeout)
            if not ready:
                raise TimeoutError(f"worker {self.index} did not reply within {timeout} s")
            if self.connection not in ready:
                raise self._crashed()
        try:
            reply = self.connection.recv()
        except (EOFError, OSError):
            raise self._crashed() from None
        if isinstance(reply, _WorkerFailure):
            self.process.join(timeout=1)
            raise WorkerCrashedError(self.index, reply.reason, reply.worker_traceback)
        return reply

    def _crashed(self) -> WorkerCrashedError:
        """The error for a worker that ended without reporting an exception."""
        self.process.join(timeout=1)
        code = self.process.exitcode
        how = "still running" if code is None else (
            f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
        )
        return WorkerCrashedError(self.index, f"its process ended ({how})")

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Whether a reply is waiting."""
        return self.connection.poll(timeout)

    def fileno(self) -> int:
        return self.connection.fileno()

    def close(self) -> None:
        self.connection.close()


class GuardedSubprocVecEnv(SubprocVecEnv):
    """``SubprocVecEnv`` whose dead workers raise :class:`WorkerCrashedError` at once.

    Same commands and worker loop as SB3's (so ``env_method`` and direct ``remotes[i]``
    messages work unchanged); see the module docstring for what differs.

    :param env_fns: one env builder per worker (picklable under forkserver/spawn).
    :param start_method: ``"forkserver"``, ``"spawn"`` or ``"fork"`` (default: forkserver
        where available, else spawn).
    :param close_timeout: seconds ``close()`` waits for workers before terminating them.
    """

    def __init__(
        self,
        env_fns: list[Callable[[], gym.Env]],
        start_method: str | None = None,
        close_timeout: float = 2.0,
    ) -> None:
        if start_method is None:
            start_method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(start_method)
        self.waiting, self.closed, self.close_timeout = False, False, close_timeout
        self.processes: list[Any] = []
        connections: list[Connection] = []
        try:
            for env_fn in env_fns:
                remote, work_remote = ctx.Pipe()
                # only forked workers inherit the other workers' ends (spawn/forkserver pass
                # nothing but their arguments)
                inherited = tuple(connections) if start_method == "fork" else ()
                args = (work_remote, remote, CloudpickleWrapper(env_fn), inherited)
                process = ctx.Process(target=_guarded_worker, args=args, daemon=True)
                process.start()
                work_remote.close()
                connections.append(remote)
                self.processes.append(process)
            self.remotes = [
                WorkerConnection(c, p, i) for i, (c, p) in enumerate(zip(connections, self.processes, strict=True))
            ]
            self.remotes[0].send(("get_spaces", None))
            observation_space, action_space = self.remotes[0].recv()
        except BaseException:
            self._stop_workers(connections)
            raise
        VecEnv.__init__(self, len(env_fns), observation_space, action_space)

    def close(self) -> None:
        """Stop every worker without blocking: ask, wait ``close_timeout``, then terminate/kill."""
        if self.closed:
            return
        self.closed = True
        self._stop_workers(self.remotes)

    def _stop_workers(self, remotes: Sequence[Any]) -> None:
        # "close" goes to every worker first, whether or not it still owes a step reply (after
        # a crash in step_wait, the workers read before the dead one owe none): a worker reads
        # its commands in order, so it replies, then exits. One deadline covers all workers,
        # and pending replies are drained meanwhile so that no worker blocks on a full pipe.
        connections = [r.connection if isinstance(r, WorkerConnection) else r for r in remotes]
        for connection in connections:
            try:
                connection.send(("close", None))
            except OSError:
                pass  # the worker is gone: nothing to ask
        self.waiting = False
        deadline = time.monotonic() + self.close_timeout
        open_connections = list(connections)
        while any(p.is_alive() for p in self.processes) and (left := deadline - time.monotonic()) > 0:
            sentinels = [p.sentinel for p in self.processes if p.is_alive()]
            for ready in wait(open_connections + sentinels, left):
                if ready in open_connections:
                    try:
                        ready.recv()
                    except (EOFError, OSError):
                        open_connections.remove(ready)
        for stop in ("terminate", "kill"):
            alive = [p for p in self.processes if p.is_alive()]
            for process in alive:
                getattr(process, stop)()
            for process in alive:
                process.join(timeout=self.close_timeout)
        for remote in remotes:
            remote.close()
