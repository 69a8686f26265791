# The two commands of the README's quick start:
#   make tour   -- set up a virtual environment and run `gradsheet tour`
#   make test   -- set up a virtual environment with the dev extras and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: tour test bench bench-quick clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz,onnx,dev]"
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[data,rl,viz,docs]"
	touch $@

# The documentation site, built as CI builds it (strict: any warning fails); open
# site/index.html from disk.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

tour: $(VENV)/.installed-run
	$(BIN)/gradsheet tour $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(ARGS)

# Benchmarks measure with OpenBLAS's own kernel choice: the two variables are unset here only.
# `make bench` writes benchmarks/results/*.json (about 14 minutes in all, pymdptoolbox's sparse
# solve being most of it), then benchmarks/report.py renders them as benchmarks/RESULTS.md and
# rewrites the README's benchmark table (between its two marker comments) from it.
# `make bench-quick` runs the same rows with fewer rounds and steps (3 rounds of half the steps,
# each contender alone once, the sparse MDP at S=2,000, rl_vector 1 round of 1,024 steps), for
# a quick check in about 3 minutes on an otherwise idle 2-core machine, into build/bench-quick/
# (its RESULTS.md there, printed; the README and benchmarks/ untouched).
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
SIDE_BY_SIDE := mlp cnn batchnorm_mlp rnn ops_small transformer attention_long

# $(call run-benchmarks,DIR,SIDE_BY_SIDE_ARGS,PLANNING_ENV,PLANNING_ARGS,QLEARNING_ARGS,LOADER_ARGS,
#        RL_VECTOR_ARGS,OP_OVERHEAD_ARGS)
define run-benchmarks
	mkdir -p $(1)
	for b in $(SIDE_BY_SIDE); do \
		$(BENCH_ENV) $(BIN)/python benchmarks/$$b.py $(2) --json $(1)/$$b.json || exit 1; \
	done
	$(BENCH_ENV) $(3) $(BIN)/python benchmarks/planning.py $(4) --json $(1)/planning.json
	$(BENCH_ENV) $(BIN)/python benchmarks/rl_learning.py --part qlearning $(5) \
		--json $(1)/qlearning.json
	$(BENCH_ENV) $(BIN)/python benchmarks/dataloader_workers.py $(6) \
		--json $(1)/dataloader_workers.json
	$(BENCH_ENV) $(BIN)/python benchmarks/rl_vector.py $(7) --json $(1)/rl_vector.json
	$(BENCH_ENV) $(BIN)/python benchmarks/op_overhead.py $(8) --json $(1)/op_overhead.json
	$(BENCH_ENV) $(BIN)/python benchmarks/lstm_profile.py --rounds 5
endef

bench: $(VENV)/.installed-dev
	$(call run-benchmarks,benchmarks/results,,,,,,,)
	$(BIN)/python benchmarks/report.py --results benchmarks/results --out benchmarks/RESULTS.md \
		--readme README.md

bench-quick: $(VENV)/.installed-dev
	rm -rf build/bench-quick
	$(call run-benchmarks,build/bench-quick,--quick,PLANNING_SPARSE_S=2000,--rounds 3,--rounds 3,\
		--samples 400 --rounds 2,--rounds 1 --steps 1024,--rounds 3 --calls 5000)
	$(BIN)/python benchmarks/report.py --results build/bench-quick --out build/bench-quick/RESULTS.md
	cat build/bench-quick/RESULTS.md

clean:
	rm -rf $(VENV) build *.egg-info
