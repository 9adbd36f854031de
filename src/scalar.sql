-- Scalar KPI helpers: C in src/scalar.c.

CREATE FUNCTION @extschema@.growth_rate(current numeric, previous numeric) RETURNS double precision
    AS 'MODULE_PATHNAME', 'growth_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.growth_rate(numeric, numeric) IS
    '(current - previous) / previous; NULL when previous is 0';

CREATE FUNCTION @extschema@.cac(spend numeric, new_customers bigint) RETURNS numeric
    AS 'MODULE_PATHNAME', 'cac' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cac(numeric, bigint) IS
    'Customer acquisition cost: spend / new customers; NULL without new customers';

CREATE FUNCTION @extschema@.lead_conversion_rate(converted bigint, leads bigint) RETURNS double precision
    AS 'MODULE_PATHNAME', 'lead_conversion_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.lead_conversion_rate(bigint, bigint) IS
    'converted / leads; NULL without leads';

CREATE FUNCTION @extschema@.quota_attainment(achieved numeric, quota numeric) RETURNS double precision
    AS 'MODULE_PATHNAME', 'quota_attainment' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.quota_attainment(numeric, numeric) IS
    'achieved / quota; NULL when the quota is 0';

CREATE FUNCTION @extschema@.market_share(own_sales numeric, market_sales numeric) RETURNS double precision
    AS 'MODULE_PATHNAME', 'market_share' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.market_share(numeric, numeric) IS
    'own sales / market sales; NULL when the market is 0';

CREATE FUNCTION @extschema@.rep_retention_rate(at_end bigint, hired bigint, at_start bigint) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rep_retention_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rep_retention_rate(bigint, bigint, bigint) IS
    'Rep retention: (reps at end - reps hired) / reps at start; NULL when at_start is 0';

CREATE FUNCTION @extschema@.customer_retention_rate(at_end bigint, acquired bigint, at_start bigint) RETURNS double precision
    AS 'MODULE_PATHNAME', 'customer_retention_rate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.customer_retention_rate(bigint, bigint, bigint) IS
    'Customer retention: (customers at end - customers acquired) / customers at start; NULL when at_start is 0';
