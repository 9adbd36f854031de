-- Stage outcome: normalisation, the stage catalog, stage_outcome(),
-- win_rate() and conversion_rate().  C in src/stage.c.

CREATE FUNCTION @extschema@.stage_normalize(stage text) RETURNS text
    AS 'MODULE_PATHNAME', 'stage_normalize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stage_normalize(text) IS
    'Stage name lower-cased (ASCII) without white space, underscores and hyphens: Closed Won, closed_won and CLOSED-WON all give closedwon';

CREATE TABLE sales_kpi.stages (
    name                text PRIMARY KEY,
    pipeline_order      integer NOT NULL,
    default_probability numeric,
    is_closed           boolean NOT NULL DEFAULT false,
    is_won              boolean NOT NULL DEFAULT false,
    stalled_after_days  integer,
    CONSTRAINT stages_name_not_blank
        CHECK (@extschema@.stage_normalize(name) OPERATOR(pg_catalog.<>) ''::pg_catalog.text),
    CONSTRAINT stages_probability_range
        CHECK (default_probability OPERATOR(pg_catalog.>=) 0::pg_catalog.numeric
               AND default_probability OPERATOR(pg_catalog.<=) 1::pg_catalog.numeric),
    CONSTRAINT stages_won_is_closed CHECK (is_closed OR NOT is_won),
    CONSTRAINT stages_stalled_positive
        CHECK (stalled_after_days OPERATOR(pg_catalog.>) 0)
);
CREATE UNIQUE INDEX stages_normalized_name
    ON sales_kpi.stages (@extschema@.stage_normalize(name));
COMMENT ON TABLE sales_kpi.stages IS
    'Stage catalog: one row per pipeline stage; a stage found here (after normalisation) takes its outcome from is_closed/is_won';
COMMENT ON COLUMN sales_kpi.stages.name IS 'Stage name as the CRM spells it; unique after stage_normalize()';
COMMENT ON COLUMN sales_kpi.stages.pipeline_order IS 'Position of the stage in the pipeline, ascending';
COMMENT ON COLUMN sales_kpi.stages.default_probability IS 'Win probability of a deal in this stage, in [0, 1]';
COMMENT ON COLUMN sales_kpi.stages.is_closed IS 'Deals in this stage are closed (won or lost)';
COMMENT ON COLUMN sales_kpi.stages.is_won IS 'Deals in this stage are won (implies is_closed)';
COMMENT ON COLUMN sales_kpi.stages.stalled_after_days IS 'An open deal in this stage longer than this many days is stalled';
-- The catalog holds user data: pg_dump must carry every row.
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.stages', '');
GRANT SELECT ON sales_kpi.stages TO PUBLIC;

CREATE FUNCTION @extschema@.stage_outcome(stage text) RETURNS text
    AS 'MODULE_PATHNAME', 'stage_outcome'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.stage_outcome(text) IS
    'won, lost or open: the catalog sales_kpi.stages first, then the names won/closedwon and lost/closedlost (after normalisation)';

-- Support functions of the outcome-counting aggregates.
CREATE FUNCTION sales_kpi.outcome_count_trans(internal, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_trans(internal, text) IS
    'Transition of win_rate(text)/conversion_rate(text): counts the row as won, lost or open';
CREATE FUNCTION sales_kpi.outcome_count_inv(internal, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_inv(internal, text) IS
    'Inverse transition of win_rate(text)/conversion_rate(text) for sliding window frames';
CREATE FUNCTION sales_kpi.outcome_count_bool_trans(internal, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_bool_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_bool_trans(internal, boolean) IS
    'Transition of win_rate(boolean)/conversion_rate(boolean): true counts as won, false as lost';
CREATE FUNCTION sales_kpi.outcome_count_bool_inv(internal, boolean) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_bool_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_bool_inv(internal, boolean) IS
    'Inverse transition of win_rate(boolean)/conversion_rate(boolean)';
CREATE FUNCTION sales_kpi.outcome_count_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_combine(internal, internal) IS
    'Combines two partial won/lost/open counts';
CREATE FUNCTION sales_kpi.outcome_count_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'outcome_count_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_serialize(internal) IS
    'Serializes won/lost/open counts for parallel and distributed aggregation';
CREATE FUNCTION sales_kpi.outcome_count_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_deserialize(bytea, internal) IS
    'Deserializes won/lost/open counts';
CREATE FUNCTION sales_kpi.win_rate_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'win_rate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.win_rate_final(internal) IS
    'won / (won + lost), NULL without a closed row';
CREATE FUNCTION sales_kpi.conversion_rate_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'conversion_rate_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.conversion_rate_final(internal) IS
    'won / counted rows, NULL without a counted row';

CREATE AGGREGATE @extschema@.win_rate(stage text) (
    SFUNC = sales_kpi.outcome_count_trans, STYPE = internal, SSPACE = 24,
    FINALFUNC = sales_kpi.win_rate_final,
    COMBINEFUNC = sales_kpi.outcome_count_combine,
    SERIALFUNC = sales_kpi.outcome_count_serialize,
    DESERIALFUNC = sales_kpi.outcome_count_deserialize,
    MSFUNC = sales_kpi.outcome_count_trans, MINVFUNC = sales_kpi.outcome_count_inv,
    MSTYPE = internal, MSSPACE = 24, MFINALFUNC = sales_kpi.win_rate_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.win_rate(text) IS
    'Win rate: won / (won + lost) deals by stage_outcome(stage); open deals and NULL stages do not count';

CREATE AGGREGATE @extschema@.win_rate(won boolean) (
    SFUNC = sales_kpi.outcome_count_bool_trans, STYPE = internal, SSPACE = 24,
    FINALFUNC = sales_kpi.win_rate_final,
    COMBINEFUNC = sales_kpi.outcome_count_combine,
    SERIALFUNC = sales_kpi.outcome_count_serialize,
    DESERIALFUNC = sales_kpi.outcome_count_deserialize,
    MSFUNC = sales_kpi.outcome_count_bool_trans, MINVFUNC = sales_kpi.outcome_count_bool_inv,
    MSTYPE = internal, MSSPACE = 24, MFINALFUNC = sales_kpi.win_rate_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.win_rate(boolean) IS
    'Win rate: true (won) / non-NULL (won or lost) rows; NULL rows (open) do not count';

CREATE AGGREGATE @extschema@.conversion_rate(stage text) (
    SFUNC = sales_kpi.outcome_count_trans, STYPE = internal, SSPACE = 24,
    FINALFUNC = sales_kpi.conversion_rate_final,
    COMBINEFUNC = sales_kpi.outcome_count_combine,
    SERIALFUNC = sales_kpi.outcome_count_serialize,
    DESERIALFUNC = sales_kpi.outcome_count_deserialize,
    MSFUNC = sales_kpi.outcome_count_trans, MINVFUNC = sales_kpi.outcome_count_inv,
    MSTYPE = internal, MSSPACE = 24, MFINALFUNC = sales_kpi.conversion_rate_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.conversion_rate(text) IS
    'Conversion rate: won / all rows with a non-NULL stage (open and lost included)';

CREATE AGGREGATE @extschema@.conversion_rate(converted boolean) (
    SFUNC = sales_kpi.outcome_count_bool_trans, STYPE = internal, SSPACE = 24,
    FINALFUNC = sales_kpi.conversion_rate_final,
    COMBINEFUNC = sales_kpi.outcome_count_combine,
    SERIALFUNC = sales_kpi.outcome_count_serialize,
    DESERIALFUNC = sales_kpi.outcome_count_deserialize,
    MSFUNC = sales_kpi.outcome_count_bool_trans, MINVFUNC = sales_kpi.outcome_count_bool_inv,
    MSTYPE = internal, MSSPACE = 24, MFINALFUNC = sales_kpi.conversion_rate_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.conversion_rate(boolean) IS
    'Conversion rate: true / non-NULL rows (leads that converted / leads)';
