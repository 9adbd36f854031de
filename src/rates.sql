-- The rates built on stage outcomes: win_rate() and conversion_rate().
-- C in src/rates.c.

-- Support functions of the outcome-counting aggregates.
CREATE FUNCTION sales_kpi.outcome_count_trans(internal, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_trans(internal, text) IS
    'Transition of win_rate(text)/conversion_rate(text): counts the row as won, lost or open';
CREATE FUNCTION sales_kpi.outcome_count_inv(internal, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_inv(internal, text) IS
    'Inverse transition of win_rate(text)/conversion_rate(text) for sliding window frames';
CREATE FUNCTION sales_kpi.outcome_count_pair_trans(internal, text, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_pair_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_pair_trans(internal, text, text) IS
    'Transition of win_rate(pipeline, stage)/conversion_rate(pipeline, stage): counts the row as won, lost or open';
CREATE FUNCTION sales_kpi.outcome_count_pair_inv(internal, text, text) RETURNS internal
    AS 'MODULE_PATHNAME', 'outcome_count_pair_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.outcome_count_pair_inv(internal, text, text) IS
    'Inverse transition of win_rate(pipeline, stage)/conversion_rate(pipeline, stage) for sliding window frames';
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

CREATE AGGREGATE @extschema@.win_rate(pipeline text, stage text) (
    SFUNC = sales_kpi.outcome_count_pair_trans, STYPE = internal, SSPACE = 24,
    FINALFUNC = sales_kpi.win_rate_final,
    COMBINEFUNC = sales_kpi.outcome_count_combine,
    SERIALFUNC = sales_kpi.outcome_count_serialize,
    DESERIALFUNC = sales_kpi.outcome_count_deserialize,
    MSFUNC = sales_kpi.outcome_count_pair_trans, MINVFUNC = sales_kpi.outcome_count_pair_inv,
    MSTYPE = internal, MSSPACE = 24, MFINALFUNC = sales_kpi.win_rate_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.win_rate(text, text) IS
    'Win rate: won / (won + lost) deals by stage_outcome(pipeline, stage); open deals and NULL stages do not count';

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

CREATE AGGREGATE @extschema@.conversion_rate(pipeline text, stage text) (
    SFUNC = sales_kpi.outcome_count_pair_trans, STYPE = internal, SSPACE = 24,
    FINALFUNC = sales_kpi.conversion_rate_final,
    COMBINEFUNC = sales_kpi.outcome_count_combine,
    SERIALFUNC = sales_kpi.outcome_count_serialize,
    DESERIALFUNC = sales_kpi.outcome_count_deserialize,
    MSFUNC = sales_kpi.outcome_count_pair_trans, MINVFUNC = sales_kpi.outcome_count_pair_inv,
    MSTYPE = internal, MSSPACE = 24, MFINALFUNC = sales_kpi.conversion_rate_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.conversion_rate(text, text) IS
    'Conversion rate: won / all rows with a non-NULL stage, classified by stage_outcome(pipeline, stage)';

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
