-- Customer lifetime value: the clv() aggregate and the scalar clv().
-- C in src/clv.c.

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

-- clv(customer_id text, ...): customers with text ids (C in src/clv_text.c);
-- the final arithmetic is the bigint form's.
CREATE FUNCTION sales_kpi.clv_text_trans(internal, text, numeric, timestamptz) RETURNS internal
    AS 'MODULE_PATHNAME', 'clv_text_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_text_trans(internal, text, numeric, timestamptz) IS
    'Transition of clv(customer_id text, amount, purchased_at): per-customer purchases, first and last purchase, exact amount sum';
CREATE FUNCTION sales_kpi.clv_text_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'clv_text_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_text_combine(internal, internal) IS
    'Combines two partial CLV states of text customer ids, merging customers by id';
CREATE FUNCTION sales_kpi.clv_text_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clv_text_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_text_serialize(internal) IS
    'Serializes a CLV state of text customer ids for parallel and distributed aggregation';
CREATE FUNCTION sales_kpi.clv_text_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'clv_text_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_text_deserialize(bytea, internal) IS
    'Deserializes a CLV state of text customer ids';
CREATE FUNCTION sales_kpi.clv_text_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'clv_text_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.clv_text_final(internal) IS
    'CLV = V * F * L from a CLV state of text customer ids; NULL without a counted purchase';

CREATE AGGREGATE @extschema@.clv(customer_id text, amount numeric, purchased_at timestamptz) (
    SFUNC = sales_kpi.clv_text_trans, STYPE = internal,
    FINALFUNC = sales_kpi.clv_text_final,
    COMBINEFUNC = sales_kpi.clv_text_combine,
    SERIALFUNC = sales_kpi.clv_text_serialize,
    DESERIALFUNC = sales_kpi.clv_text_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.clv(text, numeric, timestamptz) IS
    'Customer lifetime value from purchase rows with text customer ids (exact: ids compared byte for byte): average purchase value x purchases per customer-year x customer lifespan in years';

CREATE FUNCTION @extschema@.clv(avg_purchase_value numeric, purchases_per_year numeric, lifespan_years numeric)
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'clv_scalar'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(numeric, numeric, numeric) IS
    'Customer lifetime value: avg_purchase_value x purchases_per_year x lifespan_years';
