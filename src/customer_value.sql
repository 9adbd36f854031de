-- Customer lifetime value: the clv() aggregate and the scalar clv().
-- C in src/customer_value.c.

CREATE FUNCTION sales_kpi.clv_trans(internal, bigint, numeric, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'clv_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_trans(internal, bigint, numeric, timestamptz) IS
    'Transition of clv(customer_id, amount, purchased_at): per-customer purchases, first and last purchase, exact amount sum';
CREATE FUNCTION sales_kpi.clv_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'clv_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_combine(internal, internal) IS
    'Combines two partial CLV states, merging customers by id';
CREATE FUNCTION sales_kpi.clv_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clv_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_serialize(internal) IS
    'Serializes a CLV state for parallel and distributed aggregation';
CREATE FUNCTION sales_kpi.clv_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'clv_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_deserialize(bytea, internal) IS
    'Deserializes a CLV state';
CREATE FUNCTION sales_kpi.clv_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'clv_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_final(internal) IS
    'CLV = V * F * L from a CLV state; NULL without a counted purchase';

CREATE AGGREGATE @extschema@.clv(customer_id bigint, amount numeric, purchased_at timestamptz) (
    SFUNC = sales_kpi.clv_trans, STYPE = internal,
    FINALFUNC = sales_kpi.clv_final,
    COMBINEFUNC = sales_kpi.clv_combine,
    SERIALFUNC = sales_kpi.clv_serialize,
    DESERIALFUNC = sales_kpi.clv_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv(bigint, numeric, timestamptz) IS
    'Customer lifetime value from purchase rows: average purchase value x purchases per customer-year x customer lifespan in years (tenure at least one year)';

CREATE FUNCTION @extschema@.clv(avg_purchase_value numeric, purchases_per_year numeric, lifespan_years numeric)
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'clv_scalar'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(numeric, numeric, numeric) IS
    'Customer lifetime value: avg_purchase_value x purchases_per_year x lifespan_years';

-- acv(contract_value, term): its state is numeric.c's own avg state, so the
-- combine, serialize and deserialize functions are PostgreSQL's.
CREATE FUNCTION sales_kpi.acv_trans(internal, numeric, daterange) RETURNS internal
    AS 'MODULE_PATHNAME', 'acv_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_trans(internal, numeric, daterange) IS
    'Transition of acv(contract_value, term): adds contract_value / term years';
CREATE FUNCTION sales_kpi.acv_inv(internal, numeric, daterange) RETURNS internal
    AS 'MODULE_PATHNAME', 'acv_inv' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_inv(internal, numeric, daterange) IS
    'Inverse transition of acv(contract_value, term)';
CREATE FUNCTION sales_kpi.acv_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'acv_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.acv_final(internal) IS
    'Mean annual contract value, rounded to 8 decimal places; NULL without a contract';

CREATE AGGREGATE @extschema@.acv(contract_value numeric, term daterange) (
    SFUNC = sales_kpi.acv_trans, STYPE = internal, SSPACE = 128,
    FINALFUNC = sales_kpi.acv_final,
    COMBINEFUNC = pg_catalog.numeric_avg_combine,
    SERIALFUNC = pg_catalog.numeric_avg_serialize,
    DESERIALFUNC = pg_catalog.numeric_avg_deserialize,
    MSFUNC = sales_kpi.acv_trans, MINVFUNC = sales_kpi.acv_inv,
    MSTYPE = internal, MSSPACE = 128, MFINALFUNC = sales_kpi.acv_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.acv(numeric, daterange) IS
    'Annual contract value: mean of contract_value / term years (whole months / 12 + leftover days / 365.25, as age(upper, lower) counts them)';
