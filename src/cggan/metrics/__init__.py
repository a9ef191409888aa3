"""Evaluation metrics: FID/KID against cached reference statistics, and mode coverage.

Import the submodules (``cggan.metrics.fid``, ``.features``, ``.kid``, ``.modes``); this
package file imports nothing heavy so that ``cggan.metrics.modes`` stays torch-free.
"""

__all__ = ["features", "fid", "kid", "modes"]
