-- Exact percentiles as ordinary aggregates: sales_cycle_percentile() and
-- deal_size_percentile().  Unlike percentile_cont() they run OVER window
-- frames (with an inverse transition), in parallel and across shards, and
-- have summaries (src/summary.sql).  C in src/percentile.c.

CREATE FUNCTION sales_kpi.percentile_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'percentile_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.percentile_combine(internal, internal) IS
    'Combines two partial percentile states (the values of both)';

-- sales_cycle_percentile(created_at, closed_at, fraction)
CREATE FUNCTION sales_kpi.cycle_percentile_trans(internal, timestamptz, timestamptz, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'cycle_percentile_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_percentile_trans(internal, timestamptz, timestamptz, float8) IS
    'Transition of sales_cycle_percentile(): keeps closed_at - created_at in microseconds';
CREATE FUNCTION sales_kpi.cycle_percentile_inv(internal, timestamptz, timestamptz, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'cycle_percentile_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_percentile_inv(internal, timestamptz, timestamptz, float8) IS
    'Inverse transition of sales_cycle_percentile(): removes the row''s duration';
CREATE FUNCTION sales_kpi.cycle_percentile_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'cycle_percentile_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_percentile_serialize(internal) IS
    'Serializes a sales cycle percentile state: the fraction and the durations in order';
CREATE FUNCTION sales_kpi.cycle_percentile_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'cycle_percentile_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_percentile_deserialize(bytea, internal) IS
    'Deserializes a sales cycle percentile state';
CREATE FUNCTION sales_kpi.cycle_percentile_final(internal) RETURNS interval
    AS 'MODULE_PATHNAME', 'cycle_percentile_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_percentile_final(internal) IS
    'The percentile of the durations, as percentile_cont(fraction) WITHIN GROUP (ORDER BY closed_at - created_at)';
CREATE AGGREGATE @extschema@.sales_cycle_percentile(created_at timestamptz, closed_at timestamptz, fraction float8) (
    SFUNC = sales_kpi.cycle_percentile_trans, STYPE = internal, SSPACE = 4096,
    FINALFUNC = sales_kpi.cycle_percentile_final,
    COMBINEFUNC = sales_kpi.percentile_combine,
    SERIALFUNC = sales_kpi.cycle_percentile_serialize,
    DESERIALFUNC = sales_kpi.cycle_percentile_deserialize,
    MSFUNC = sales_kpi.cycle_percentile_trans, MINVFUNC = sales_kpi.cycle_percentile_inv,
    MSTYPE = internal, MSSPACE = 4096, MFINALFUNC = sales_kpi.cycle_percentile_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sales_cycle_percentile(timestamptz, timestamptz, float8) IS
    'Exact percentile of the sales cycle (closed_at - created_at) over rows with both set: equal to percentile_cont(fraction) WITHIN GROUP (ORDER BY closed_at - created_at); 0.5 is the median';

-- deal_size_percentile(amount, fraction)
CREATE FUNCTION sales_kpi.size_percentile_trans(internal, numeric, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'size_percentile_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.size_percentile_trans(internal, numeric, float8) IS
    'Transition of deal_size_percentile(): keeps the amount';
CREATE FUNCTION sales_kpi.size_percentile_inv(internal, numeric, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'size_percentile_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.size_percentile_inv(internal, numeric, float8) IS
    'Inverse transition of deal_size_percentile(): removes the row''s amount';
CREATE FUNCTION sales_kpi.size_percentile_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'size_percentile_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.size_percentile_serialize(internal) IS
    'Serializes a deal size percentile state: the fraction and the amounts in order';
CREATE FUNCTION sales_kpi.size_percentile_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'size_percentile_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.size_percentile_deserialize(bytea, internal) IS
    'Deserializes a deal size percentile state';
CREATE FUNCTION sales_kpi.size_percentile_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'size_percentile_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.size_percentile_final(internal) IS
    'The percentile of the amounts, interpolated in exact numeric arithmetic';
CREATE AGGREGATE @extschema@.deal_size_percentile(amount numeric, fraction float8) (
    SFUNC = sales_kpi.size_percentile_trans, STYPE = internal, SSPACE = 8192,
    FINALFUNC = sales_kpi.size_percentile_final,
    COMBINEFUNC = sales_kpi.percentile_combine,
    SERIALFUNC = sales_kpi.size_percentile_serialize,
    DESERIALFUNC = sales_kpi.size_percentile_deserialize,
    MSFUNC = sales_kpi.size_percentile_trans, MINVFUNC = sales_kpi.size_percentile_inv,
    MSTYPE = internal, MSSPACE = 8192, MFINALFUNC = sales_kpi.size_percentile_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.deal_size_percentile(numeric, float8) IS
    'Exact percentile of the amounts: lo + (hi - lo) * (p - floor(p)), p = fraction * (n - 1), as percentile_cont picks rows, in numeric arithmetic; 0.5 is the median';
