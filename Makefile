# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/governance.duckdb
PORT   ?= 8501

.PHONY: run test test-fast demo lint bench bench-scale clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Re-install only when a requirements file changed.
$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# GOV_ENGINE=spark make run: PySpark and sqlglot too (requirements-spark.txt; Spark needs a Java runtime).
$(VENV)/.spark-installed: requirements-spark.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-spark.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt requirements-spark.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $(VENV)/.spark-installed $@

$(DB): | $(VENV)/.runtime-installed
	$(PY) -m etl --db $(DB) demo

demo: $(VENV)/.runtime-installed
	$(PY) -m etl --db $(DB) demo

# GOV_ENGINE=duckdb-lake|spark GOV_LAKE=DIR make run: the dashboard reads the Parquet lake (see docs/deployment.md)
run: $(VENV)/.runtime-installed $(DB) $(if $(filter spark,$(GOV_ENGINE)),$(VENV)/.spark-installed)
	$(PY) -m auth demo-accounts --db $(DB) --if-demo
	GOV_DB=$(DB) $(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# Two workers (pytest-xdist): the real-browser tests all run on one of them, one at a time.
test: $(VENV)/.dev-installed
	$(PY) -m pytest -q -n 2 --dist loadgroup

# Everything but the real-browser tests (Playwright + Chromium); the Spark tests share one worker (one session).
test-fast: $(VENV)/.dev-installed
	$(PY) -m pytest -q -m "not browser" -n 2 --dist loadgroup

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

# Speed measurements, each printed as a ratio against a reference run in the same process.
bench: $(VENV)/.dev-installed $(DB)
	$(PY) bench/etl_bench.py
	$(PY) bench/kpi_bench.py $(DB)
	$(PY) bench/overview_bench.py $(DB)
	$(PY) bench/pages_bench.py $(DB)
	$(PY) bench/briefing_bench.py --db $(DB)
	$(PY) bench/auth_bench.py
	$(PY) bench/scope_bench.py $(DB)
	$(PY) bench/engines_bench.py $(DB)

# District scale (issue 11): builds build/scale/district.duckdb once (about a minute), then every page's figures;
# SCALE_DB=path reuses another warehouse (a copy: an older one gets its summaries rebuilt in place).
SCALE_DB ?= build/scale/district.duckdb
bench-scale: $(VENV)/.dev-installed
	$(PY) bench/scale_bench.py --db $(SCALE_DB)
	$(PY) bench/memory_bench.py --db $(SCALE_DB) --sessions 8

clean:
	rm -rf build artifacts .pytest_cache
