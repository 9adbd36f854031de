-- The query text of views, for reuse: the materialized twins, the
-- refresh's stores, the stage visits of some deals and the alerts' values
-- run a dashboard's own query over other relations than the ones it reads
-- (src/incremental.sql, src/dashboards/00_stage_visits.sql,
-- src/dashboards/kpi_alerts.sql).  Before the dashboards, which use it.

-- A view's query with some of the relations it reads replaced: a
-- "sales_kpi.x alias" by "replacement alias", a bare "sales_kpi.x" by
-- "replacement x" (pg_get_viewdef qualifies every relation with this
-- search_path).
CREATE FUNCTION sales_kpi.view_query(view regclass, relations text[], replacements text[])
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    q text := pg_get_viewdef(view);
    pattern text;
BEGIN
    -- each occurrence becomes a numbered token first, so that a replacement
    -- naming the relation it replaces is not replaced again
    FOR i IN 1 .. coalesce(array_length(relations, 1), 0) LOOP
        pattern := replace(relations[i], '.', '\.') || '(?![a-z_0-9])';
        IF q !~ pattern THEN
            RAISE EXCEPTION 'view % does not read %', view, relations[i] USING ERRCODE = 'internal_error';
        END IF;
        q := regexp_replace(q, pattern || '(?= [a-z_])', chr(1) || i || chr(2), 'g');
        q := regexp_replace(q, pattern, chr(1) || i || chr(2) || ' ' || split_part(relations[i], '.', 2), 'g');
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(relations, 1), 0) LOOP
        q := replace(q, chr(1) || i || chr(2), replacements[i]);
    END LOOP;
    -- without pg_get_viewdef's final semicolon, so that it can be nested
    RETURN rtrim(rtrim(q, E' \n'), ';');
END
$$;
COMMENT ON FUNCTION sales_kpi.view_query(regclass, text[], text[]) IS
    'A view''s query with the relations named replaced (how the twins, the stores and the alerts reuse the dashboards'' own queries)';
