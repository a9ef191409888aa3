"""The study's figures, one PNG per kind and experiment under ``plots/``, in one look
(:mod:`~cggan.results.figures.style`: palette, log axes, PNGs whose bytes do not depend
on matplotlib's version).

- :mod:`~cggan.results.figures.curves`: metric against iteration of the confirmed
  settings; :mod:`~cggan.results.figures.sweep`: every sweep run;
  :mod:`~cggan.results.figures.samples`: samples of the best run per method.
- :mod:`~cggan.results.figures.beta`: the CG methods' β over iterations.
- :mod:`~cggan.results.figures.claims_by_budget`: each claim's effect against the
  budget.
- :mod:`~cggan.results.figures.pilot`: the pilot's curves past the study's length
  (``scripts/pilot_report.py``).
"""
