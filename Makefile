# sales_kpi — PGXS build plus the workflow targets demo, test, bench.
#
#   make demo    install missing packages, build, install, start a throwaway
#                cluster in .cluster/, load demo data and print the KPIs
#   make test    the same set-up, then pg_regress, pgTAP and integration suites
#   make clean   stop and remove the throwaway cluster, remove build output

EXTENSION   = sales_kpi
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" sales_kpi.control)

MODULE_big  = sales_kpi
OBJS        = src/module.o src/errors.o src/callsite.o src/codec.o src/exact_sum.o \
              src/stage_catalog.o src/rates.o src/duration.o src/clv.o src/clv_text.o src/acv.o \
              src/velocity.o src/retention.o src/window.o src/scalar.o src/fiscal.o \
              src/percentile.o src/summary.o src/bgnbd.o src/model_fit.o src/rfm.o src/deal_state.o

# The install script, assembled from one .sql per C family (order matters:
# the preamble creates the schema the others use).
SQL_PARTS   = src/sales_kpi.sql src/stage_catalog.sql src/rates.sql src/duration.sql \
              src/clv.sql src/acv.sql src/velocity.sql src/retention.sql src/percentile.sql src/summary.sql src/window.sql \
              src/scalar.sql src/fiscal.sql src/bgnbd.sql \
              src/model.sql src/currency.sql src/history.sql src/view_query.sql $(addprefix src/dashboards/,$(DASHBOARDS)) src/incremental.sql src/refresh.sql \
              src/rep_security.sql src/grants.sql \
              $(addprefix src/sync/,$(SYNCS))
# Connector syncs: what they share, then one file per source.
SYNCS       = common.sql salesforce.sql hubspot.sql
DASHBOARDS  = 00_deal_state.sql 00_stage_visits.sql 01_stage_probabilities.sql league_status.sql pipeline.sql team_activity.sql performance.sql \
              stage_analysis.sql leaderboard.sql kpi_summary.sql kpi_alerts.sql \
              pipeline_flow.sql forecast.sql customer_cohorts.sql lost_reasons.sql \
              customer_value.sql
DATA_built  = sales_kpi--$(EXTVERSION).sql
# The update scripts from each released version (the install scripts of
# released versions are frozen: see CHANGELOG.md and test/upgrade/run).
DATA        = $(wildcard updates/sales_kpi--*--*.sql)

REGRESS     = stage_outcome win_rate conversion_rate time_in_pipeline \
              sales_cycle_length ramp_time clv acv pipeline_velocity retention \
              window_functions scalars fiscal settings errors differential parallel combine \
              history sync summary percentile currency pipeline_flow forecast bgnbd \
              dashboards kpi_summary_periods dashboard_security incremental rep_security
REGRESS_OPTS = --inputdir=. --load-extension=sales_kpi
# Isolation tests (specs/*.spec): behaviour across concurrent sessions.
ISOLATION   = stage_catalog_sessions
ISOLATION_OPTS = --load-extension=sales_kpi

# -Wextra without -Wunused-parameter: every SQL-callable function has the
# fmgr signature, whether it reads fcinfo or not.
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes
ifeq ($(CI),true)
PG_CFLAGS  += -Werror
endif
ifdef WERROR
PG_CFLAGS  += -Werror
endif

EXTRA_CLEAN = results regression.diffs regression.out output_iso sales_kpi--*.sql .cluster $(EXTENSION)-*.zip

PG_CONFIG  ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS       := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# Without the server headers (a fresh machine) only the workflow targets work;
# they install the packages first and then re-enter make.
ifneq ($(PGXS),)
include $(PGXS)
else
all:
	@echo "PostgreSQL server headers not found: run 'make deps' (or 'make demo')." >&2; exit 1
clean:
	@scripts/cluster.sh destroy 2>/dev/null || true
	rm -rf .cluster results regression.diffs regression.out sales_kpi--*.sql
endif

# PGXS does not track header dependencies: every object includes the shared
# header, and the rates and the catalog the inlined classifier.
$(OBJS): src/sales_kpi.h
src/stage_catalog.o src/rates.o src/velocity.o: src/stage_catalog.h
src/clv.o src/clv_text.o: src/clv.h

$(DATA_built): $(SQL_PARTS) sales_kpi.control
	cat $(SQL_PARTS) > $@

CLUSTER = scripts/cluster.sh

.PHONY: deps test-deps build-install cluster demo test bench regress pgtap stop-cluster destroy-cluster dist

# The release archive, from git (tracked files only: no build output, no
# .cluster/): sales_kpi-<version>.zip, which builds, installs and tests on
# its own the PGXS way (make && make install && make installcheck).
DISTNAME = $(EXTENSION)-$(EXTVERSION)
dist:
	git archive --format=zip --prefix=$(DISTNAME)/ -o $(DISTNAME).zip HEAD
	@echo "$(DISTNAME).zip"


# The packages to build and run the demo; test-deps adds those of the suites.
deps:
	@scripts/deps.sh

test-deps:
	@scripts/deps.sh --tests

# Build and install the extension (root writes to the PostgreSQL tree).
build-install: deps
	@$(MAKE) --no-print-directory all
	@scripts/install.sh $(MAKE)

cluster: build-install
	@$(CLUSTER) start

demo: cluster
	@$(CLUSTER) psql -v ON_ERROR_STOP=1 -q -f demo/demo.sql

regress: cluster
	@$(CLUSTER) regress

pgtap: cluster test-deps
	@$(CLUSTER) pgtap

test: cluster test-deps
	@scripts/run-tests.sh

stop-cluster:
	@$(CLUSTER) stop

# Stop and delete the throwaway cluster along with PGXS's own clean.
clean: destroy-cluster
destroy-cluster:
	@$(CLUSTER) destroy

print-pg-config:
	@echo $(PG_CONFIG)

# Benchmark: make bench [ROWS=10000000] [REPS=1000] [RUNS=5] [SYNC_DEALS=1000000]
bench: cluster
	@ROWS=$(ROWS) REPS=$(REPS) RUNS=$(RUNS) SYNC_DEALS=$(SYNC_DEALS) bench/run
ROWS ?= 10000000
REPS ?= 1000
RUNS ?= 5
SYNC_DEALS ?= 1000000
