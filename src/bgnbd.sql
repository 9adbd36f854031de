-- Predicted customer lifetime value: the BG/NBD model of repeat purchases
-- and the Gamma-Gamma model of spend (their parameters, expected purchases,
-- purchase probabilities, P(alive), expected spend).  C in src/bgnbd.c.

CREATE TYPE sales_kpi.bgnbd_params AS (r float8, alpha float8, a float8, b float8,
                                       log_likelihood float8, customers bigint);
COMMENT ON TYPE sales_kpi.bgnbd_params IS
    'BG/NBD parameters: purchase rates ~ Gamma(r, alpha), drop-out probabilities ~ Beta(a, b); with the fit''s log-likelihood and customers (NULL when built by hand)';
CREATE TYPE sales_kpi.gamma_gamma_params AS (p float8, q float8, v float8, log_likelihood float8, customers bigint);

-- The constructors are plain SQL without settings (every name qualified),
-- so that the planner inlines them like the forms below.
COMMENT ON TYPE sales_kpi.gamma_gamma_params IS
    'Gamma-Gamma spend parameters p, q, v; with the fit''s log-likelihood and customers (NULL when built by hand)';

CREATE FUNCTION @extschema@.bgnbd_params(r float8, alpha float8, a float8, b float8)
RETURNS sales_kpi.bgnbd_params
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    -- (checked where used, with the error naming the parameter)
    SELECT ROW(r, alpha, a, b, NULL, NULL)::sales_kpi.bgnbd_params
$$;
COMMENT ON FUNCTION @extschema@.bgnbd_params(float8, float8, float8, float8) IS
    'BG/NBD parameters given by hand (e.g. published ones)';
CREATE FUNCTION @extschema@.gamma_gamma_params(p float8, q float8, v float8)
RETURNS sales_kpi.gamma_gamma_params
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT ROW(p, q, v, NULL, NULL)::sales_kpi.gamma_gamma_params
$$;
COMMENT ON FUNCTION @extschema@.gamma_gamma_params(float8, float8, float8) IS
    'Gamma-Gamma parameters given by hand (e.g. published ones)';

-- The closed forms, over the parameters' fields.
CREATE FUNCTION sales_kpi.bgnbd_expected_purchases_new(r float8, alpha float8, a float8, b float8, t float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_expected_purchases_new(float8, float8, float8, float8, float8) IS
    'E[X(t)] of the BG/NBD model for a new customer';
CREATE FUNCTION sales_kpi.bgnbd_expected_purchases_customer(r float8, alpha float8, a float8, b float8, t float8,
                                                           x float8, tx float8, age float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'bgnbd_expected_purchases_customer' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_expected_purchases_customer(float8, float8, float8, float8, float8, float8, float8, float8) IS
    'E[X(t) | x, t_x, T] of the BG/NBD model';
CREATE FUNCTION sales_kpi.bgnbd_probability(r float8, alpha float8, a float8, b float8, t float8, n integer)
    RETURNS float8 AS 'MODULE_PATHNAME', 'bgnbd_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_probability(float8, float8, float8, float8, float8, integer) IS
    'P(X(t) = n) of the BG/NBD model for a new customer';
CREATE FUNCTION sales_kpi.bgnbd_p_alive(r float8, alpha float8, a float8, b float8, x float8, tx float8, age float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_p_alive(float8, float8, float8, float8, float8, float8, float8) IS
    'P(alive | x, t_x, T) of the BG/NBD model';
CREATE FUNCTION sales_kpi.gamma_gamma_spend(p float8, q float8, v float8, x float8, mean_spend float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'gamma_gamma_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.gamma_gamma_spend(float8, float8, float8, float8, float8) IS
    'E[spend | x, mean spend] of the Gamma-Gamma model';

-- The user-facing forms, over the parameter types: plain SQL without
-- settings (every name qualified), so that the planner inlines them and a
-- query over a million customers calls the C directly.
CREATE FUNCTION @extschema@.bgnbd_expected_purchases(params sales_kpi.bgnbd_params, t float8)
RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sales_kpi.bgnbd_expected_purchases_new((params).r, (params).alpha, (params).a, (params).b, t) $$;
COMMENT ON FUNCTION @extschema@.bgnbd_expected_purchases(sales_kpi.bgnbd_params, float8) IS
    'Expected purchases of a new customer in t time units, E[X(t)]';
CREATE FUNCTION @extschema@.bgnbd_expected_purchases(params sales_kpi.bgnbd_params, t float8,
                                                     frequency float8, recency float8, age float8)
RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sales_kpi.bgnbd_expected_purchases_customer((params).r, (params).alpha, (params).a, (params).b, t,
                                                         frequency, recency, age) $$;
COMMENT ON FUNCTION @extschema@.bgnbd_expected_purchases(sales_kpi.bgnbd_params, float8, float8, float8, float8) IS
    'Expected purchases in the next t time units of a customer with frequency repeat purchases, the last at recency, observed for age: E[X(t) | x, t_x, T]';
CREATE FUNCTION @extschema@.bgnbd_purchase_probability(params sales_kpi.bgnbd_params, t float8, n integer)
RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sales_kpi.bgnbd_probability((params).r, (params).alpha, (params).a, (params).b, t, n) $$;
COMMENT ON FUNCTION @extschema@.bgnbd_purchase_probability(sales_kpi.bgnbd_params, float8, integer) IS
    'Probability that a new customer makes exactly n purchases in t time units, P(X(t) = n)';
CREATE FUNCTION @extschema@.bgnbd_p_alive(params sales_kpi.bgnbd_params, frequency float8, recency float8, age float8)
RETURNS float8 LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sales_kpi.bgnbd_p_alive((params).r, (params).alpha, (params).a, (params).b, frequency, recency, age) $$;
COMMENT ON FUNCTION @extschema@.bgnbd_p_alive(sales_kpi.bgnbd_params, float8, float8, float8) IS
    'Probability that a customer with frequency repeat purchases, the last at recency, observed for age, is still active';
CREATE FUNCTION @extschema@.gamma_gamma_expected_spend(params sales_kpi.gamma_gamma_params, frequency float8,
                                                       mean_spend numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sales_kpi.gamma_gamma_spend((params).p, (params).q, (params).v, frequency, mean_spend::pg_catalog.float8)::pg_catalog.numeric $$;
COMMENT ON FUNCTION @extschema@.gamma_gamma_expected_spend(sales_kpi.gamma_gamma_params, float8, numeric) IS
    'Expected mean spend of a customer with frequency repeat purchases of mean_spend on average';

-- bgnbd_fit(frequency, recency, age): maximum likelihood over the customers
-- (C in src/model_fit.c).  NULL with fewer customers than parameters.
CREATE FUNCTION sales_kpi.bgnbd_fit_trans(internal, integer, float8, float8) RETURNS internal
    AS 'MODULE_PATHNAME', 'bgnbd_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_fit_trans(internal, integer, float8, float8) IS
    'Transition of bgnbd_fit(): keeps the customer''s (frequency, recency, age)';
CREATE FUNCTION sales_kpi.model_fit_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'model_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.model_fit_combine(internal, internal) IS
    'Combines two bgnbd_fit() or gamma_gamma_fit() states (their customers)';
CREATE FUNCTION sales_kpi.model_fit_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'model_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.model_fit_serialize(internal) IS
    'Serializes a bgnbd_fit() or gamma_gamma_fit() state: the distinct customers and their counts, in order';
CREATE FUNCTION sales_kpi.bgnbd_fit_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'bgnbd_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_fit_deserialize(bytea, internal) IS
    'Deserializes a bgnbd_fit() state';
CREATE FUNCTION sales_kpi.bgnbd_fit_final(internal) RETURNS sales_kpi.bgnbd_params
    AS 'MODULE_PATHNAME', 'bgnbd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_fit_final(internal) IS
    'The maximum-likelihood BG/NBD parameters of the customers (Nelder-Mead over their logs)';
CREATE AGGREGATE @extschema@.bgnbd_fit(frequency integer, recency float8, age float8) (
    SFUNC = sales_kpi.bgnbd_fit_trans, STYPE = internal, SSPACE = 65536,
    FINALFUNC = sales_kpi.bgnbd_fit_final,
    COMBINEFUNC = sales_kpi.model_fit_combine,
    SERIALFUNC = sales_kpi.model_fit_serialize,
    DESERIALFUNC = sales_kpi.bgnbd_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(integer, float8, float8) IS
    'Maximum-likelihood BG/NBD parameters over customers (frequency, recency, age in one time unit); NULL with fewer than 4 customers; identical serial and parallel';

-- gamma_gamma_fit(frequency, mean_spend): maximum likelihood over the repeat
-- buyers (frequency > 0; the others are skipped).  NULL with fewer than 3.
CREATE FUNCTION sales_kpi.gamma_gamma_fit_trans(internal, integer, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'gamma_gamma_fit_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.gamma_gamma_fit_trans(internal, integer, numeric) IS
    'Transition of gamma_gamma_fit(): keeps a repeat buyer''s (frequency, mean spend)';
CREATE FUNCTION sales_kpi.gamma_gamma_fit_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'gamma_gamma_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.gamma_gamma_fit_deserialize(bytea, internal) IS
    'Deserializes a gamma_gamma_fit() state';
CREATE FUNCTION sales_kpi.gamma_gamma_fit_final(internal) RETURNS sales_kpi.gamma_gamma_params
    AS 'MODULE_PATHNAME', 'gamma_gamma_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.gamma_gamma_fit_final(internal) IS
    'The maximum-likelihood Gamma-Gamma parameters of the repeat buyers (Nelder-Mead over their logs)';
CREATE AGGREGATE @extschema@.gamma_gamma_fit(frequency integer, mean_spend numeric) (
    SFUNC = sales_kpi.gamma_gamma_fit_trans, STYPE = internal, SSPACE = 65536,
    FINALFUNC = sales_kpi.gamma_gamma_fit_final,
    COMBINEFUNC = sales_kpi.model_fit_combine,
    SERIALFUNC = sales_kpi.model_fit_serialize,
    DESERIALFUNC = sales_kpi.gamma_gamma_fit_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(integer, numeric) IS
    'Maximum-likelihood Gamma-Gamma spend parameters over the repeat buyers (frequency > 0); NULL with fewer than 3; identical serial and parallel';

-- customer_rfm(purchased_at, amount, observation_end, unit): a customer's
-- frequency, recency, age and mean spend (C in src/rfm.c).
CREATE TYPE sales_kpi.rfm AS (frequency integer, recency float8, age float8, mean_spend numeric);
COMMENT ON TYPE sales_kpi.rfm IS
    'A customer as the CLV models read it: frequency (repeat purchase periods), recency and age (in units), mean spend of the repeat periods';
CREATE FUNCTION sales_kpi.rfm_trans(internal, timestamptz, numeric, timestamptz, interval) RETURNS internal
    AS 'MODULE_PATHNAME', 'rfm_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.rfm_trans(internal, timestamptz, numeric, timestamptz, interval) IS
    'Transition of customer_rfm(): keeps the purchase''s period and amount';
CREATE FUNCTION sales_kpi.rfm_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'rfm_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.rfm_combine(internal, internal) IS
    'Combines two customer_rfm() states (their purchases)';
CREATE FUNCTION sales_kpi.rfm_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rfm_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.rfm_serialize(internal) IS 'Serializes a customer_rfm() state';
CREATE FUNCTION sales_kpi.rfm_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'rfm_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.rfm_deserialize(bytea, internal) IS 'Deserializes a customer_rfm() state';
CREATE FUNCTION sales_kpi.rfm_final(internal) RETURNS sales_kpi.rfm
    AS 'MODULE_PATHNAME', 'rfm_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.rfm_final(internal) IS
    'The customer''s frequency, recency, age and mean spend; NULL without a purchase by observation_end';
CREATE AGGREGATE @extschema@.customer_rfm(purchased_at timestamptz, amount numeric, observation_end timestamptz,
                                          unit interval) (
    SFUNC = sales_kpi.rfm_trans, STYPE = internal, SSPACE = 256,
    FINALFUNC = sales_kpi.rfm_final,
    COMBINEFUNC = sales_kpi.rfm_combine,
    SERIALFUNC = sales_kpi.rfm_serialize,
    DESERIALFUNC = sales_kpi.rfm_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.customer_rfm(timestamptz, numeric, timestamptz, interval) IS
    'One customer''s purchases as the CLV models read them, in periods of unit counted back from observation_end: frequency = purchase periods - 1, recency = first to last, age = first to observation_end (in units), mean spend of the repeat periods';

-- predicted_clv: the discounted value over the horizon (C in src/bgnbd.c).
CREATE FUNCTION sales_kpi.bgnbd_predicted_clv(r float8, alpha float8, a float8, b float8, spend float8,
                                              x float8, tx float8, age float8, horizon float8, rate float8, period float8)
    RETURNS float8 AS 'MODULE_PATHNAME', 'bgnbd_predicted_clv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.bgnbd_predicted_clv(float8, float8, float8, float8, float8, float8, float8, float8, float8, float8, float8) IS
    'Predicted CLV from the BG/NBD parameters and an expected spend';
CREATE FUNCTION @extschema@.predicted_clv(bgnbd sales_kpi.bgnbd_params, gamma_gamma sales_kpi.gamma_gamma_params,
                                          frequency float8, recency float8, age float8, mean_spend numeric,
                                          horizon float8, discount_rate float8, period float8 DEFAULT 1)
RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.round(sales_kpi.bgnbd_predicted_clv((bgnbd).r, (bgnbd).alpha, (bgnbd).a, (bgnbd).b,
                   sales_kpi.gamma_gamma_spend((gamma_gamma).p, (gamma_gamma).q, (gamma_gamma).v, frequency,
                                               mean_spend::pg_catalog.float8),
                   frequency, recency, age, horizon, discount_rate, period)::pg_catalog.numeric, 8)
$$;
COMMENT ON FUNCTION @extschema@.predicted_clv(sales_kpi.bgnbd_params, sales_kpi.gamma_gamma_params, float8, float8, float8, numeric, float8, float8, float8) IS
    'Predicted customer lifetime value as lifetimes computes it: over horizon steps of period time units, the purchases expected in each (BG/NBD) times the expected spend (Gamma-Gamma), discounted by (1 + discount_rate)^step; 12, 0.01, 30 is a year of 30-day months at 1% a month';
