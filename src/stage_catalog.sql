-- The stage catalog: stage_normalize(), the table sales_kpi.stages and the
-- trigger that invalidates its cached copies, stage_outcome().
-- C in src/stage_catalog.c.

CREATE FUNCTION @extschema@.stage_normalize(stage text) RETURNS text
    AS 'MODULE_PATHNAME', 'stage_normalize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stage_normalize(text) IS
    'Stage name without white space, underscores and hyphens (and, in a UTF-8 database, their Unicode forms), case folded as lower() does with the database''s collation: Closed Won, closed_won, CLOSED-WON and Closed<U+00A0>Won all give closedwon';

CREATE TABLE sales_kpi.stages (
    pipeline            text CONSTRAINT stages_pipeline_not_blank CHECK (pipeline OPERATOR(pg_catalog.<>) ''::pg_catalog.text),
    name                text NOT NULL,
    label               text,
    pipeline_order      integer NOT NULL,
    default_probability numeric,
    is_closed           boolean NOT NULL DEFAULT false,
    is_won              boolean NOT NULL DEFAULT false,
    stalled_after_days  integer,
    forecast_category   text,
    normalized          text GENERATED ALWAYS AS (@extschema@.stage_normalize(name)) STORED,
    CONSTRAINT stages_name_not_blank
        CHECK (@extschema@.stage_normalize(name) OPERATOR(pg_catalog.<>) ''::pg_catalog.text),
    CONSTRAINT stages_probability_range
        CHECK (default_probability OPERATOR(pg_catalog.>=) 0::pg_catalog.numeric
               AND default_probability OPERATOR(pg_catalog.<=) 1::pg_catalog.numeric),
    CONSTRAINT stages_won_is_closed CHECK (is_closed OR NOT is_won),
    CONSTRAINT stages_stalled_positive
        CHECK (stalled_after_days OPERATOR(pg_catalog.>) 0),
    CONSTRAINT stages_forecast_category_known
        CHECK (forecast_category OPERATOR(pg_catalog.=) ANY
               (ARRAY['closed', 'commit', 'best_case', 'pipeline', 'omitted']::pg_catalog.text[]))
);
-- One row per pipeline and normalised name (a NULL pipeline: every pipeline).
CREATE UNIQUE INDEX stages_pipeline_normalized_name
    ON sales_kpi.stages (coalesce(pipeline, ''::pg_catalog.text), normalized);
COMMENT ON TABLE sales_kpi.stages IS
    'Stage catalog: one row per pipeline and stage; a stage found here (after normalisation) takes its outcome from is_closed/is_won';
COMMENT ON COLUMN sales_kpi.stages.pipeline IS
    'The CRM''s pipeline id (as in sales_kpi.deals.pipeline); NULL: the row holds for every pipeline';
COMMENT ON COLUMN sales_kpi.stages.name IS
    'Stage as the CRM records it on a deal (Salesforce stage name, HubSpot stage id); unique per pipeline after stage_normalize() (so GAGNÉ and Gagné cannot both be listed)';
COMMENT ON COLUMN sales_kpi.stages.label IS 'Name the dashboards show (HubSpot stage label); NULL shows name';
COMMENT ON COLUMN sales_kpi.stages.pipeline_order IS 'Position of the stage in its pipeline, ascending';
COMMENT ON COLUMN sales_kpi.stages.default_probability IS 'Win probability of a deal in this stage, in [0, 1]';
COMMENT ON COLUMN sales_kpi.stages.is_closed IS 'Deals in this stage are closed (won or lost)';
COMMENT ON COLUMN sales_kpi.stages.is_won IS 'Deals in this stage are won (implies is_closed)';
COMMENT ON COLUMN sales_kpi.stages.stalled_after_days IS 'An open deal in this stage longer than this many days is stalled';
COMMENT ON COLUMN sales_kpi.stages.forecast_category IS
    'Forecast category of a deal in this stage (closed, commit, best_case, pipeline, omitted) unless the deal has its own; NULL: closed for won stages, omitted for lost ones, pipeline for open ones';
COMMENT ON COLUMN sales_kpi.stages.normalized IS 'stage_normalize(name), kept by PostgreSQL';
-- The catalog holds user data: pg_dump must carry every row.
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.stages', '');
GRANT SELECT ON sales_kpi.stages TO PUBLIC;

-- Every cached copy of the catalog (each query's, each session's) is dropped
-- when it changes: the trigger sends a relcache invalidation of the table,
-- which the module's relcache callback turns into a new catalog generation.
CREATE FUNCTION sales_kpi.stage_catalog_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'stage_catalog_changed' LANGUAGE C;
COMMENT ON FUNCTION sales_kpi.stage_catalog_changed() IS
    'Trigger on sales_kpi.stages: invalidates every cached copy of the stage catalog, in this session and the others';
CREATE TRIGGER stages_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sales_kpi.stages
    FOR EACH STATEMENT EXECUTE FUNCTION sales_kpi.stage_catalog_changed();

CREATE FUNCTION @extschema@.stage_outcome(stage text) RETURNS text
    AS 'MODULE_PATHNAME', 'stage_outcome'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stage_outcome(text) IS
    'won, lost or open: the catalog rows of that name (an error if they disagree across pipelines), then the names won/closedwon and lost/closedlost (after normalisation)';

CREATE FUNCTION @extschema@.stage_outcome(pipeline text, stage text) RETURNS text
    AS 'MODULE_PATHNAME', 'stage_outcome_pipeline'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stage_outcome(text, text) IS
    'won, lost or open for a stage of a pipeline: the pipeline''s catalog row, then the row for every pipeline, then the built-in names; a NULL pipeline classifies as stage_outcome(stage), a NULL stage gives NULL';

