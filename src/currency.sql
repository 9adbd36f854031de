-- Currencies: the exchange rates, the corporate currency and
-- convert_amount().  Dashboards report every amount in the corporate
-- currency: a won or lost deal at its close day's rate, an open deal at the
-- as-of day's rate (deal_state, in dashboards/).  C of the setting in
-- src/module.c.

CREATE FUNCTION sales_kpi.corporate_currency() RETURNS text
    AS 'MODULE_PATHNAME', 'corporate_currency_setting' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.corporate_currency() IS
    'The setting sales_kpi.corporate_currency (an ISO 4217 code), NULL when empty';

CREATE TABLE sales_kpi.exchange_rates (
    currency  text NOT NULL CONSTRAINT exchange_rates_currency_iso_4217 CHECK (currency ~ '^[A-Z]{3}$'),
    valid     daterange NOT NULL,
    rate      numeric NOT NULL CONSTRAINT exchange_rates_rate_positive CHECK (rate > 0 AND rate < 'Infinity'),
    PRIMARY KEY (currency, valid),
    CONSTRAINT exchange_rates_valid_not_empty CHECK (NOT isempty(valid)),
    CONSTRAINT exchange_rates_no_overlap
        EXCLUDE USING gist (sales_kpi.textrange(currency, currency, '[]') WITH OPERATOR(pg_catalog.=),
                            valid WITH OPERATOR(pg_catalog.&&))
);
COMMENT ON TABLE sales_kpi.exchange_rates IS
    'Exchange rates: corporate currency units per unit of currency, over the days of valid; one currency''s ranges never overlap';
COMMENT ON COLUMN sales_kpi.exchange_rates.currency IS 'ISO 4217 code of the currency converted from';
COMMENT ON COLUMN sales_kpi.exchange_rates.valid IS 'Days the rate holds on, [first, day after last); unbounded ends allowed';
COMMENT ON COLUMN sales_kpi.exchange_rates.rate IS 'Corporate currency units per unit of currency (amount x rate is the corporate amount)';
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.exchange_rates', '');
-- Reference data, read by every dashboard (as the stage catalog is).
GRANT SELECT ON sales_kpi.exchange_rates TO PUBLIC;

-- The error of an amount with no rate for its day (called only then).
CREATE FUNCTION sales_kpi.report_missing_rate(currency text, on_day date, what text)
RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'no exchange rate for % on %', currency, on_day
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('%s is in %s, and no row of sales_kpi.exchange_rates for %s covers %s%s.',
                              what, currency, currency, on_day,
                              CASE WHEN sales_kpi.corporate_currency() IS NULL
                                   THEN ' (sales_kpi.corporate_currency is not set)' ELSE '' END),
              HINT = format('Add the rate: INSERT INTO sales_kpi.exchange_rates VALUES (%L, daterange(first_day, day_after), rate), '
                            'rate being corporate units per %s; or SET sales_kpi.corporate_currency if %s is the corporate currency.',
                            currency, currency, currency);
END
$$;
COMMENT ON FUNCTION sales_kpi.report_missing_rate(text, date, text) IS
    'Raises the error (22023) of an amount in a currency with no exchange rate on a day';

CREATE FUNCTION sales_kpi.convert_amount(amount numeric, currency text, on_day date)
RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r numeric;
BEGIN
    IF amount IS NULL THEN
        RETURN NULL;
    END IF;
    IF currency IS NULL OR currency = sales_kpi.corporate_currency() THEN
        RETURN amount;
    END IF;
    IF on_day IS NULL OR NOT isfinite(on_day) THEN
        RAISE EXCEPTION 'on_day must be a finite day'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('on_day is %s.', coalesce(on_day::text, 'NULL')),
                  HINT = 'Pass the day whose rate applies: the close day of a closed deal, the as-of day of an open one.';
    END IF;
    SELECT x.rate INTO r FROM sales_kpi.exchange_rates x WHERE x.currency = convert_amount.currency AND x.valid @> on_day;
    IF r IS NULL THEN
        RETURN sales_kpi.report_missing_rate(currency, on_day, format('The amount %s', amount));
    END IF;
    RETURN amount * r;
END
$$;
COMMENT ON FUNCTION sales_kpi.convert_amount(numeric, text, date) IS
    'amount in currency converted to the corporate currency at the rate of on_day, exactly (amount x rate); NULL currency or the corporate one: amount; no rate for the day: error 22023';
