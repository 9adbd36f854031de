-- Window functions: C in src/window.c.  Declared WINDOW: OVER (...) is required.

CREATE FUNCTION @extschema@.period_growth(value numeric) RETURNS double precision
    AS 'MODULE_PATHNAME', 'period_growth'
    LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.period_growth(numeric) IS
    'Window function: (value - previous row''s value) / previous row''s value; NULL on the first row or when the previous value is NULL or 0';

CREATE FUNCTION @extschema@.time_in_stage(entered_at timestamptz) RETURNS interval
    AS 'MODULE_PATHNAME', 'time_in_stage'
    LANGUAGE C STABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.time_in_stage(timestamptz) IS
    'Window function: next row''s entered_at - entered_at; the last row runs to the start of the transaction';

CREATE FUNCTION @extschema@.time_in_stage(entered_at timestamptz, as_of timestamptz) RETURNS interval
    AS 'MODULE_PATHNAME', 'time_in_stage_as_of'
    LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.time_in_stage(timestamptz, timestamptz) IS
    'Window function: next row''s entered_at - entered_at; the last row runs to as_of';
