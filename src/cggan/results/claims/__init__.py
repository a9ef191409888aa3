"""What the study claims, and how it checks it.

- :mod:`~cggan.results.claims.plan`: the analysis plan, declared before any run, and
  its sha256.
- :mod:`~cggan.results.claims.check`: the seed papers' claims tested under the plan
  from ``runs.csv`` alone (``tables/claims.csv``), on the sides
  :mod:`~cggan.results.claims.sides` reads off it.
- :mod:`~cggan.results.claims.render`: the claims check as Markdown
  (``tables/claims.md``), at every budget of the plan.
- :mod:`~cggan.results.claims.readme_findings`: the README's findings table, made from
  a published study's ``claims.csv``.
- :mod:`~cggan.results.claims.cg_vs_momentum`: CG against heavy-ball momentum at the
  matched cap, paired per seed (``tables/cg_vs_momentum.{md,csv}``).
"""
