-- Duration aggregates: avg_time_in_pipeline(), sales_cycle_length(),
-- avg_ramp_time().  C in src/duration.c.

CREATE FUNCTION sales_kpi.duration_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'duration_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.duration_combine(internal, internal) IS
    'Combines two partial (count, exact microsecond sum) duration states';
CREATE FUNCTION sales_kpi.duration_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'duration_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.duration_serialize(internal) IS
    'Serializes a duration state for parallel and distributed aggregation';
CREATE FUNCTION sales_kpi.duration_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'duration_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.duration_deserialize(bytea, internal) IS
    'Deserializes a duration state';
CREATE FUNCTION sales_kpi.duration_avg_final(internal) RETURNS interval
    AS 'MODULE_PATHNAME', 'duration_avg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.duration_avg_final(internal) IS
    'Mean duration rounded to the microsecond, as days and time; NULL without a counted row';

-- avg_time_in_pipeline(entered_at)
CREATE FUNCTION sales_kpi.pipeline1_trans(internal, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'pipeline1_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.pipeline1_trans(internal, timestamptz) IS
    'Transition of avg_time_in_pipeline(entered_at): adds transaction start - entered_at';
CREATE FUNCTION sales_kpi.pipeline1_inv(internal, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'pipeline1_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.pipeline1_inv(internal, timestamptz) IS
    'Inverse transition of avg_time_in_pipeline(entered_at)';
CREATE AGGREGATE @extschema@.avg_time_in_pipeline(entered_at timestamptz) (
    SFUNC = sales_kpi.pipeline1_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.duration_avg_final,
    COMBINEFUNC = sales_kpi.duration_combine,
    SERIALFUNC = sales_kpi.duration_serialize,
    DESERIALFUNC = sales_kpi.duration_deserialize,
    MSFUNC = sales_kpi.pipeline1_trans, MINVFUNC = sales_kpi.pipeline1_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.duration_avg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.avg_time_in_pipeline(timestamptz) IS
    'Mean time in pipeline of open deals: mean of (transaction start - entered_at)';

-- avg_time_in_pipeline(entered_at, exited_at)
CREATE FUNCTION sales_kpi.pipeline2_trans(internal, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'pipeline2_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.pipeline2_trans(internal, timestamptz, timestamptz) IS
    'Transition of avg_time_in_pipeline(entered_at, exited_at)';
CREATE FUNCTION sales_kpi.pipeline2_inv(internal, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'pipeline2_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.pipeline2_inv(internal, timestamptz, timestamptz) IS
    'Inverse transition of avg_time_in_pipeline(entered_at, exited_at)';
CREATE AGGREGATE @extschema@.avg_time_in_pipeline(entered_at timestamptz, exited_at timestamptz) (
    SFUNC = sales_kpi.pipeline2_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.duration_avg_final,
    COMBINEFUNC = sales_kpi.duration_combine,
    SERIALFUNC = sales_kpi.duration_serialize,
    DESERIALFUNC = sales_kpi.duration_deserialize,
    MSFUNC = sales_kpi.pipeline2_trans, MINVFUNC = sales_kpi.pipeline2_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.duration_avg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.avg_time_in_pipeline(timestamptz, timestamptz) IS
    'Mean time in pipeline: mean of (coalesce(exited_at, transaction start) - entered_at)';

-- avg_time_in_pipeline(entered_at, exited_at, as_of)
CREATE FUNCTION sales_kpi.pipeline3_trans(internal, timestamptz, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'pipeline3_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.pipeline3_trans(internal, timestamptz, timestamptz, timestamptz) IS
    'Transition of avg_time_in_pipeline(entered_at, exited_at, as_of)';
CREATE FUNCTION sales_kpi.pipeline3_inv(internal, timestamptz, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'pipeline3_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.pipeline3_inv(internal, timestamptz, timestamptz, timestamptz) IS
    'Inverse transition of avg_time_in_pipeline(entered_at, exited_at, as_of)';
CREATE AGGREGATE @extschema@.avg_time_in_pipeline(entered_at timestamptz, exited_at timestamptz, as_of timestamptz) (
    SFUNC = sales_kpi.pipeline3_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.duration_avg_final,
    COMBINEFUNC = sales_kpi.duration_combine,
    SERIALFUNC = sales_kpi.duration_serialize,
    DESERIALFUNC = sales_kpi.duration_deserialize,
    MSFUNC = sales_kpi.pipeline3_trans, MINVFUNC = sales_kpi.pipeline3_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.duration_avg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.avg_time_in_pipeline(timestamptz, timestamptz, timestamptz) IS
    'Point-in-time mean time in pipeline: rows entered after as_of are skipped; each runs to least(coalesce(exited_at, as_of), as_of)';

-- sales_cycle_length(created_at, closed_at)
CREATE FUNCTION sales_kpi.cycle_trans(internal, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'cycle_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_trans(internal, timestamptz, timestamptz) IS
    'Transition of sales_cycle_length(created_at, closed_at)';
CREATE FUNCTION sales_kpi.cycle_inv(internal, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'cycle_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.cycle_inv(internal, timestamptz, timestamptz) IS
    'Inverse transition of sales_cycle_length(created_at, closed_at)';
CREATE AGGREGATE @extschema@.sales_cycle_length(created_at timestamptz, closed_at timestamptz) (
    SFUNC = sales_kpi.cycle_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.duration_avg_final,
    COMBINEFUNC = sales_kpi.duration_combine,
    SERIALFUNC = sales_kpi.duration_serialize,
    DESERIALFUNC = sales_kpi.duration_deserialize,
    MSFUNC = sales_kpi.cycle_trans, MINVFUNC = sales_kpi.cycle_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.duration_avg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sales_cycle_length(timestamptz, timestamptz) IS
    'Mean sales cycle: mean of (closed_at - created_at) over rows with both set';

-- avg_ramp_time(started_at, first_contact_at)
CREATE FUNCTION sales_kpi.ramp_trans(internal, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'ramp_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.ramp_trans(internal, timestamptz, timestamptz) IS
    'Transition of avg_ramp_time(started_at, first_contact_at)';
CREATE FUNCTION sales_kpi.ramp_inv(internal, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'ramp_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.ramp_inv(internal, timestamptz, timestamptz) IS
    'Inverse transition of avg_ramp_time(started_at, first_contact_at)';
CREATE AGGREGATE @extschema@.avg_ramp_time(started_at timestamptz, first_contact_at timestamptz) (
    SFUNC = sales_kpi.ramp_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.duration_avg_final,
    COMBINEFUNC = sales_kpi.duration_combine,
    SERIALFUNC = sales_kpi.duration_serialize,
    DESERIALFUNC = sales_kpi.duration_deserialize,
    MSFUNC = sales_kpi.ramp_trans, MINVFUNC = sales_kpi.ramp_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.duration_avg_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.avg_ramp_time(timestamptz, timestamptz) IS
    'Mean rep ramp time: mean of (first_contact_at - started_at) over reps with both set';
