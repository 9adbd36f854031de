-- retention_rate() and churn_rate(): C in src/retention.c.

CREATE FUNCTION sales_kpi.retention_trans(internal, daterange, daterange) RETURNS internal
    AS 'MODULE_PATHNAME', 'retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.retention_trans(internal, daterange, daterange) IS
    'Transition of retention_rate/churn_rate(active, period)';
CREATE FUNCTION sales_kpi.retention_inv(internal, daterange, daterange) RETURNS internal
    AS 'MODULE_PATHNAME', 'retention_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.retention_inv(internal, daterange, daterange) IS
    'Inverse transition of retention_rate/churn_rate(active, period)';
CREATE FUNCTION sales_kpi.retention_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'retention_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.retention_combine(internal, internal) IS
    'Combines two partial retention states (same period required)';
CREATE FUNCTION sales_kpi.retention_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'retention_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.retention_serialize(internal) IS
    'Serializes a retention state';
CREATE FUNCTION sales_kpi.retention_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'retention_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.retention_deserialize(bytea, internal) IS
    'Deserializes a retention state';
CREATE FUNCTION sales_kpi.retention_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'retention_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.retention_final(internal) IS
    'Rows active on the first and last day / rows active on the first day';
CREATE FUNCTION sales_kpi.churn_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'churn_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.churn_final(internal) IS
    'Rows active on the first day but not the last / rows active on the first day';

CREATE AGGREGATE @extschema@.retention_rate(active daterange, period daterange) (
    SFUNC = sales_kpi.retention_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.retention_final,
    COMBINEFUNC = sales_kpi.retention_combine,
    SERIALFUNC = sales_kpi.retention_serialize,
    DESERIALFUNC = sales_kpi.retention_deserialize,
    MSFUNC = sales_kpi.retention_trans, MINVFUNC = sales_kpi.retention_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.retention_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_rate(daterange, daterange) IS
    'Retention: of the rows active on the period''s first day, the fraction still active on its last day';

CREATE AGGREGATE @extschema@.churn_rate(active daterange, period daterange) (
    SFUNC = sales_kpi.retention_trans, STYPE = internal, SSPACE = 32,
    FINALFUNC = sales_kpi.churn_final,
    COMBINEFUNC = sales_kpi.retention_combine,
    SERIALFUNC = sales_kpi.retention_serialize,
    DESERIALFUNC = sales_kpi.retention_deserialize,
    MSFUNC = sales_kpi.retention_trans, MINVFUNC = sales_kpi.retention_inv,
    MSTYPE = internal, MSSPACE = 32, MFINALFUNC = sales_kpi.churn_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.churn_rate(daterange, daterange) IS
    'Churn: 1 - retention_rate over the same rows (NULL where it is NULL)';
