"""Progress of a run on stderr: a tqdm bar on a terminal, log lines in a job's log."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    """A tqdm bar on a terminal, otherwise a log line on stderr every ~10% of the run.

    Args:
        total: the run's iterations.
        start: the iteration it starts (or resumes) from.
        trainer: the :class:`cggan.train.Trainer` (its rows give the latest metric).
    """

    def __init__(self, total: int, start: int, trainer) -> None:
        self.total = total
        self.trainer = trainer
        self.every = max(1, total // 10)
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=start, dynamic_ncols=True, leave=False)

    def update(self, iteration: int, stats: list[float]) -> None:
        """Report an iteration's losses (``stats[0]``: G's, ``stats[1]``: D's)."""
        metric = self.trainer.metric
        rows = self.trainer.rows
        last = next((r[metric] for r in reversed(rows) if metric in r), None)
        if self.bar is not None:
            self.bar.update(1)
            if iteration % max(1, self.every // 10) == 0:
                self.bar.set_postfix(
                    loss_d=f"{stats[1]:.3g}", loss_g=f"{stats[0]:.3g}", **{metric: last}
                )
        elif iteration % self.every == 0 or iteration == self.total:
            print(
                f"iter {iteration}/{self.total} loss_d={stats[1]:.4g} "
                f"loss_g={stats[0]:.4g} {metric}={last}",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """Remove the bar (log lines need no closing)."""
        if self.bar is not None:
            self.bar.close()
