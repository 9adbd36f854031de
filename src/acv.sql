-- acv(contract_value, term): annual contract value.  C in src/acv.c.

CREATE FUNCTION sales_kpi.acv_trans(internal, numeric, daterange) RETURNS internal
    AS 'MODULE_PATHNAME', 'acv_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_trans(internal, numeric, daterange) IS
    'Transition of acv(contract_value, term): adds contract_value / term years';
CREATE FUNCTION sales_kpi.acv_inv(internal, numeric, daterange) RETURNS internal
    AS 'MODULE_PATHNAME', 'acv_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_inv(internal, numeric, daterange) IS
    'Inverse transition of acv(contract_value, term)';
CREATE FUNCTION sales_kpi.acv_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'acv_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_combine(internal, internal) IS
    'Combines two partial ACV states (contract counts and exact sums of annual values)';
CREATE FUNCTION sales_kpi.acv_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'acv_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_serialize(internal) IS
    'Serializes an ACV state for parallel and distributed aggregation';
CREATE FUNCTION sales_kpi.acv_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'acv_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_deserialize(bytea, internal) IS
    'Deserializes an ACV state';
CREATE FUNCTION sales_kpi.acv_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'acv_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_final(internal) IS
    'Mean annual contract value, rounded to 8 decimal places; NULL without a contract';

CREATE AGGREGATE @extschema@.acv(contract_value numeric, term daterange) (
    SFUNC = sales_kpi.acv_trans, STYPE = internal, SSPACE = 128,
    FINALFUNC = sales_kpi.acv_final,
    COMBINEFUNC = sales_kpi.acv_combine,
    SERIALFUNC = sales_kpi.acv_serialize,
    DESERIALFUNC = sales_kpi.acv_deserialize,
    MSFUNC = sales_kpi.acv_trans, MINVFUNC = sales_kpi.acv_inv,
    MSTYPE = internal, MSSPACE = 128, MFINALFUNC = sales_kpi.acv_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.acv(numeric, daterange) IS
    'Annual contract value: mean of contract_value / term years (whole months / 12 + leftover days / 365.25, as age(upper, lower) counts them)';
