# The two commands of the README: `make run` and `make test`. Both create .venv when it is
# missing and (re)install only when requirements.txt, constraints.txt or pyproject.toml changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
CONFIG ?= config/config.yaml

LAPTOP_CONFIG ?= config/laptop.yaml
CONVERGED_CONFIG ?= config/converged.yaml
# Finished runs trained on this machine that the cost of a study is measured from.
RATES_FROM ?= results/runs/pilot
# What else ran on the machine while a published study trained (provenance.json): say
# it, e.g. `make primary ALONGSIDE=nothing`.
ALONGSIDE ?= not recorded
NCORES := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

.PHONY: run test test-threads test-fast lint laptop converged primary secondary cost verify \
	report dryrun bench lock clean-results tensorboard dvc-status

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# pip (not uv/poetry) so that torch and torchvision come from this machine's disk.
$(STAMP): requirements.txt constraints.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt -c constraints.txt
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# A lock left by a killed run (kill -9, power cut) is released first; a live run's is kept.
run: $(STAMP)
	@$(BIN)/python scripts/check_config.py $(CONFIG)
	$(BIN)/python scripts/unlock_stale.py
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)
	@$(MAKE) --no-print-directory report

# The HTML report of the study of $(CONFIG), in that study's out dir (results/ for the
# default study, results/studies/<study>/ otherwise), is rebuilt only when that study's
# aggregated results changed since its last report.
report: $(STAMP)
	@out=$$($(BIN)/python scripts/study_out_dir.py $(CONFIG)) || exit 2; \
	if [ ! -f "$$out/metrics.json" ]; then \
		echo "error: no results of $(CONFIG) in $$out yet: run 'make run CONFIG=$(CONFIG)' first" >&2; \
		exit 2; fi; \
	if [ ! -f "$$out/report.html" ] || [ "$$out/metrics.json" -nt "$$out/report.html" ]; then \
		$(BIN)/snakemake --cores 1 --configfile $(CONFIG) --report "$$out/report.html"; \
	else echo "$$out/report.html is up to date"; fi

# Superseded by `make primary` (docs/results/laptop/README.md): the paper's protocol at
# laptop scale with one sweep seed; kept so that its published tables can be retraced.
laptop: $(STAMP)
	$(BIN)/python scripts/unlock_stale.py
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores $(CORES) --configfile $(LAPTOP_CONFIG) && \
	$(BIN)/python scripts/publish_results.py --config $(LAPTOP_CONFIG) \
		--dest docs/results/laptop --started $$start --cores $(NCORES)

# Superseded by `make primary` (docs/results/converged/README.md): the primary claims at
# 5,000 iterations with one sweep seed; kept so that its published tables can be retraced.
converged: $(STAMP)
	$(BIN)/python scripts/unlock_stale.py
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONVERGED_CONFIG) && \
	$(BIN)/python scripts/publish_results.py --config $(CONVERGED_CONFIG) \
		--dest docs/results/converged --started $$start --cores $(NCORES)

# A published study (config/<name>.yaml, <= 2 h on 2 cores alone): its cost first, then
# the study; published to docs/results/<name>/ with provenance.json. Run it alone, and
# say what else ran: `make primary ALONGSIDE=nothing`. `primary`: the primary claims (a,
# b, c, d, h; its findings rewritten in README.md); `secondary`: CG's other rules, nSGDA
# and grafting (f, g).
primary secondary: $(STAMP)
	@$(BIN)/python scripts/check_config.py config/$@.yaml
	$(BIN)/python scripts/unlock_stale.py
	$(BIN)/python scripts/study_cost.py config/$@.yaml --rates-from $(RATES_FROM) \
		--cores $(NCORES)
	@start=$$(date +%s); \
	$(BIN)/snakemake --cores $(CORES) --configfile config/$@.yaml && \
	$(BIN)/python scripts/publish_results.py --config config/$@.yaml \
		--dest docs/results/$@ --started $$start --cores $(NCORES) \
		--command "make $@" --rates-from $(RATES_FROM) --alongside "$(ALONGSIDE)" \
		$(if $(filter primary,$@),--readme README.md)

# Rerun the default study from a clean checkout of HEAD in a temporary directory and
# compare every table, plot data file and metrics.json with docs/results/default/
# (scripts/compare_results.py): the published default study must be the code's own.
verify: $(STAMP)
	@tmp=$$(mktemp -d); trap 'git worktree remove --force '"$$tmp"' >/dev/null 2>&1; rm -rf '"$$tmp" EXIT; \
	git worktree add --detach -q "$$tmp" HEAD && \
	( cd "$$tmp" && PYTHONPATH="$$tmp/src" $(CURDIR)/$(BIN)/snakemake --cores $(CORES) \
		--configfile config/config.yaml --quiet rules ) && \
	$(BIN)/python scripts/compare_results.py --published docs/results/default \
		--fresh "$$tmp/results"

# What a study costs before it trains: `make cost CONFIG=config/primary.yaml` (runs x
# iterations at the speeds measured from the finished runs under $(RATES_FROM)).
cost: $(STAMP)
	$(BIN)/python scripts/study_cost.py $(CONFIG) --rates-from $(RATES_FROM) \
		--cores $(NCORES)

lint: $(STAMP)
	$(BIN)/ruff check src scripts tests benchmarks
	$(BIN)/ruff format --check src scripts tests benchmarks
	$(BIN)/snakefmt --check workflow

# The fast tests on $(TEST_WORKERS) pytest-xdist workers, then the slow ones (workflow
# runs that share one ci study, and use both cores themselves) in one process
# (tests/conftest.py says why). Each pass lists its slowest tests at the end.
TEST_WORKERS ?= 2
test: $(STAMP)
	@$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow" --durations=15
	$(BIN)/python -m pytest -m slow --durations=20
	@$(MAKE) --no-print-directory test-threads

# The numerics tests again with 1 and with 2 OpenMP/BLAS threads (a result compared with a
# recorded number must not depend on how a reduction was split over threads); the main run
# above uses the machine's default.
NUMERICS_TESTS ?= tests/metrics/test_frechet.py tests/metrics/test_fid.py \
	tests/metrics/test_kid.py tests/optim
test-threads: $(STAMP)
	@for n in 1 2; do echo "== $(NUMERICS_TESTS) with OMP_NUM_THREADS=$$n"; \
		OMP_NUM_THREADS=$$n OPENBLAS_NUM_THREADS=$$n MKL_NUM_THREADS=$$n \
		$(BIN)/python -m pytest -q -m "not slow" -p no:cacheprovider $(NUMERICS_TESTS) \
		|| exit 1; done

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# TensorBoard on the runs of the study of $(CONFIG) (`make tensorboard STUDY=ci` for
# another): every run writes event files under its directory unless CGGAN_TENSORBOARD=0.
# docs/tensorboard.md (a cluster's shared results directory through ssh -L).
STUDY ?= $(or $(shell sed -n 's/^study:[[:space:]]*\([A-Za-z0-9_.-]*\).*/\1/p' $(CONFIG)),default)
TB_PORT ?= 6006
tensorboard: $(STAMP)
	@if [ ! -d results/runs/$(STUDY) ]; then \
		echo "error: no runs of study '$(STUDY)' under results/runs/$(STUDY): run 'make run' (or snakemake with its config) first" >&2; \
		exit 2; fi
	$(BIN)/tensorboard --logdir results/runs/$(STUDY) --port $(TB_PORT) \
		--samples_per_plugin images=100

# What `dvc repro` would rerun for the study of dvc-study.yaml, by what the code means:
# DVC's `code` stage first (a second: it rewrites the code fingerprints the other stages
# read as params, and dvc.lock's `code` entry), then `dvc status` (docs/pipeline.md, DVC).
dvc-status: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro --quiet code
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc status

dryrun: $(STAMP)
	@$(BIN)/python scripts/check_config.py $(CONFIG)
	$(BIN)/snakemake -n --configfile $(CONFIG)

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The GPU check (issue 18; docs/cluster.md): on a GPU node, <= 8 min on one H100; writes
# docs/results/gpu/. Without CUDA it runs the quick CPU check into a temporary directory.
.PHONY: gpu-check
gpu-check: $(STAMP)
	$(BIN)/python benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

lock: $(STAMP)
	( head -2 constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^cggan' ) > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean-results:
	rm -rf results/* .snakemake
