-- pipeline_velocity(): C in src/velocity.c.

CREATE FUNCTION sales_kpi.velocity_trans(internal, text, numeric, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'velocity_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_trans(internal, text, numeric, timestamptz, timestamptz) IS
    'Transition of pipeline_velocity(stage, amount, created_at, closed_at)';
CREATE FUNCTION sales_kpi.velocity_inv(internal, text, numeric, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'velocity_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_inv(internal, text, numeric, timestamptz, timestamptz) IS
    'Inverse transition of pipeline_velocity(stage, amount, created_at, closed_at)';
CREATE FUNCTION sales_kpi.velocity_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'velocity_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_combine(internal, internal) IS
    'Combines two partial pipeline velocity states';
CREATE FUNCTION sales_kpi.velocity_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'velocity_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_serialize(internal) IS
    'Serializes a pipeline velocity state';
CREATE FUNCTION sales_kpi.velocity_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'velocity_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_deserialize(bytea, internal) IS
    'Deserializes a pipeline velocity state';
CREATE FUNCTION sales_kpi.velocity_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'velocity_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_final(internal) IS
    'open deals x mean won amount x win rate / mean won cycle in days';

CREATE AGGREGATE @extschema@.pipeline_velocity(stage text, amount numeric, created_at timestamptz, closed_at timestamptz) (
    SFUNC = sales_kpi.velocity_trans, STYPE = internal,
    FINALFUNC = sales_kpi.velocity_final,
    COMBINEFUNC = sales_kpi.velocity_combine,
    SERIALFUNC = sales_kpi.velocity_serialize,
    DESERIALFUNC = sales_kpi.velocity_deserialize,
    MSFUNC = sales_kpi.velocity_trans, MINVFUNC = sales_kpi.velocity_inv,
    MSTYPE = internal, MFINALFUNC = sales_kpi.velocity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.pipeline_velocity(text, numeric, timestamptz, timestamptz) IS
    'Pipeline velocity, revenue per day: open deals x mean won amount x win rate / mean won sales cycle in days; NULL without a won deal';

CREATE FUNCTION sales_kpi.velocity_pair_trans(internal, text, text, numeric, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'velocity_pair_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_pair_trans(internal, text, text, numeric, timestamptz, timestamptz) IS
    'Transition of pipeline_velocity(pipeline, stage, amount, created_at, closed_at)';
CREATE FUNCTION sales_kpi.velocity_pair_inv(internal, text, text, numeric, timestamptz, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'velocity_pair_inv' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.velocity_pair_inv(internal, text, text, numeric, timestamptz, timestamptz) IS
    'Inverse transition of pipeline_velocity(pipeline, stage, amount, created_at, closed_at)';

CREATE AGGREGATE @extschema@.pipeline_velocity(pipeline text, stage text, amount numeric, created_at timestamptz, closed_at timestamptz) (
    SFUNC = sales_kpi.velocity_pair_trans, STYPE = internal,
    FINALFUNC = sales_kpi.velocity_final,
    COMBINEFUNC = sales_kpi.velocity_combine,
    SERIALFUNC = sales_kpi.velocity_serialize,
    DESERIALFUNC = sales_kpi.velocity_deserialize,
    MSFUNC = sales_kpi.velocity_pair_trans, MINVFUNC = sales_kpi.velocity_pair_inv,
    MSTYPE = internal, MFINALFUNC = sales_kpi.velocity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.pipeline_velocity(text, text, numeric, timestamptz, timestamptz) IS
    'Pipeline velocity with stages classified by stage_outcome(pipeline, stage): open deals x mean won amount x win rate / mean won sales cycle in days';
