"""How a run stopped by a signal ends: :class:`Interrupted`, after its checkpoint.

:class:`cggan.train.loop.Trainer` raises it; :func:`cggan.train.jobs.train_runs` turns
it into the exit code a shell reports for the signal, so that the scheduler retries the
job and the retry resumes from the checkpoint.
"""

from __future__ import annotations

import signal
from pathlib import Path

__all__ = ["Interrupted"]


class Interrupted(BaseException):
    """A stop signal ended a run after it saved a checkpoint; rerunning resumes it.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception``
    records it as the run's own failure.

    Attributes:
        signum: the signal.
        iteration: the iteration of the checkpoint.
        run_dir: the run directory.
    """

    def __init__(self, signum: int, iteration: int, run_dir: Path) -> None:
        self.signum, self.iteration, self.run_dir = signum, iteration, run_dir
        name = signal.Signals(signum).name
        super().__init__(
            f"{name}: stopped at iteration {iteration} with a checkpoint in {run_dir}; "
            "run again to resume"
        )

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process killed by it."""
        return 128 + self.signum
