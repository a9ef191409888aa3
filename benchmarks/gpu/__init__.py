"""The parts of the GPU check (``benchmarks/gpu_check.py``, ``make gpu-check``), one
module per thing it measures or computes:

- :mod:`gpu.sizes`: what is timed and at which sizes (full on a GPU, quick on the CPU),
  and where the results go;
- :mod:`gpu.device`: the facts of the machine the numbers come from (provenance);
- :mod:`gpu.timing`: the median of synchronised calls, shared by every timing;
- :mod:`gpu.cuda_tests`: ``pytest -m cuda``, pass or fail;
- :mod:`gpu.fixture`: CIFAR-shaped data, FID statistics and the project's trainer that
  the training timings use;
- :mod:`gpu.training`: one training iteration of every method, and k training processes
  on one GPU at once;
- :mod:`gpu.optimizer_step`: CG's step against fused and foreach Adam;
- :mod:`gpu.fid_evaluation`: one FID evaluation;
- :mod:`gpu.cost`: the study's planned runs, their GPU-hours, the SLURM runtime and the
  profile values that follow;
- :mod:`gpu.report`: ``gpu_check.json`` and ``gpu_check.md``.

The package is imported by the script (``python benchmarks/gpu_check.py`` puts
``benchmarks/`` first on ``sys.path``) and by its tests (``tests/benchmarks``).
"""
