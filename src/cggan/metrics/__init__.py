"""Evaluation metrics: FID/KID against cached reference statistics, and mode coverage.

Import the submodules (``cggan.metrics.fid``, ``.features``, ``.kid``, ``.modes``,
``.preprocessing``); this package file imports nothing heavy so that
``cggan.metrics.modes`` stays torch-free. The FID protocol (its names, files and flags)
is :mod:`cggan.fid_protocol`'s.
"""

__all__ = ["features", "fid", "kid", "modes", "preprocessing"]
