-- Everything the extension creates, one sorted line per object and property
-- (functions and aggregates, types, relations and their columns, defaults,
-- constraints, indexes, triggers, views' queries, comments, grants): what a
-- fresh install and an updated one must agree on.
\set ON_ERROR_STOP on
\pset format unaligned
\pset tuples_only on
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'sales_kpi'),
members AS (
    SELECT d.classid, d.objid FROM pg_depend d, ext
    WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
    SELECT 'function ' || p.oid::regprocedure || ' ' || pg_get_function_result(p.oid) || ' ' || p.prokind::text
           || ' ' || p.provolatile::text || p.proparallel::text || ' strict=' || p.proisstrict || ' definer=' || p.prosecdef
           || ' ' || coalesce(p.proconfig::text, '') || ' acl=' || coalesce(p.proacl::text, '')
           || ' src=' || md5(p.prosrc) || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '') AS line
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
    UNION ALL
    SELECT 'aggregate ' || a.aggfnoid::regprocedure || ' ' || a.aggtransfn || ' ' || a.aggfinalfn || ' '
           || a.aggcombinefn || ' ' || a.aggserialfn || ' ' || a.aggdeserialfn || ' ' || a.aggmtransfn || ' '
           || a.aggminvtransfn || ' ' || a.aggtranstype::regtype || ' ' || a.aggtransspace
    FROM pg_aggregate a JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = a.aggfnoid
    UNION ALL
    SELECT 'type ' || t.oid::regtype || ' ' || t.typtype::text || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '')
    FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    UNION ALL
    SELECT 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' ' || coalesce(c.reloptions::text, '')
           || ' acl=' || coalesce(c.relacl::text, '') || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '')
           || CASE WHEN c.relkind IN ('v', 'm') THEN ' query=' || md5(pg_get_viewdef(c.oid)) ELSE '' END
    FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    UNION ALL
    SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
           || ' position=' || a.attnum || ' comment=' || coalesce(col_description(c.oid, a.attnum), '')
    FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    UNION ALL
    SELECT 'constraint ' || con.conrelid::regclass || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = con.conrelid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = i.indrelid
    UNION ALL
    SELECT 'trigger ' || tg.tgrelid::regclass || ' ' || pg_get_triggerdef(tg.oid)
    FROM pg_trigger tg JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = tg.tgrelid
    WHERE NOT tg.tgisinternal
    UNION ALL
    SELECT 'config ' || x::regclass::text FROM pg_extension e, ext, unnest(e.extconfig) x WHERE e.oid = ext.oid
) l ORDER BY 1;
