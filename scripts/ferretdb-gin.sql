-- GIN "twins" for FerretDB 1.x on PostgreSQL, so that equality filters read through an index.
--
-- FerretDB 1.24 pushes a top-level equality filter {field: value} down as
--   WHERE _jsonb -> $1 @> $2
-- but the indexes it creates are btree on (_jsonb -> 'field'), which `@>` cannot use: every
-- find is a sequential scan (FerretDB issue #4646). A GIN index on the same expression serves
-- `@>`. This script gives every top-level key of every FerretDB btree index such a twin, adds
-- one on `grams` for each collection named `messages` (wecom-warden's archive looks messages
-- up by n-gram; FerretDB's btree cannot hold those arrays, so the app creates no index there),
-- and installs event triggers that keep the twins in step with FerretDB's later DDL.
--
-- NEEDS A SUPERUSER: PostgreSQL lets only superusers create event triggers. Run it as one,
-- against the database FerretDB uses:
--   psql -X -v ON_ERROR_STOP=1 -f scripts/ferretdb-gin.sql postgres://postgres@host/dbname
-- (not with --single-transaction: the backfill builds indexes CONCURRENTLY). It is idempotent;
-- run it again at any time, e.g. after renaming a collection to `messages`.
--
-- The functions live in schema _ferretdb_gin. FerretDB lists as databases only the schemas that
-- hold a _ferretdb_database_metadata table, and it refuses database names that start with
-- `_ferretdb_`, so no FerretDB database can ever claim (or drop) this schema.
--
-- A twin is named <table>_<field>_<hash>_gin (at most 58 bytes, derived from table and field
-- only), so one twin serves a field however many btree indexes mention it, and reruns and
-- racing sessions agree on the name. FerretDB's own tables end in a hex hash and its indexes in
-- `_idx`, so the names cannot collide with FerretDB's.

\set ON_ERROR_STOP on

DO $$
BEGIN
  IF NOT current_setting('is_superuser')::boolean THEN
    RAISE EXCEPTION 'ferretdb-gin.sql must run as a PostgreSQL superuser (role "%" is not one)',
      current_user
      USING HINT = 'Event triggers need a superuser: connect as postgres or another superuser.';
  END IF;
END
$$;

BEGIN;

CREATE SCHEMA IF NOT EXISTS _ferretdb_gin;
COMMENT ON SCHEMA _ferretdb_gin IS
  'GIN twins of FerretDB btree indexes (wecom-warden scripts/ferretdb-gin.sql)';
-- The triggers run as whoever issues the DDL (FerretDB's role, which owns its tables).
GRANT USAGE ON SCHEMA _ferretdb_gin TO PUBLIC;

-- The field a key column indexes when it is exactly (_jsonb -> 'field'), else null. Nested
-- paths (_jsonb -> 'a') -> 'b' are left out: FerretDB does not push them down as `->`.
CREATE OR REPLACE FUNCTION _ferretdb_gin.key_field(index_oid oid, column_no integer)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT replace(m[1], '''''', '''')
  FROM regexp_match(
    pg_get_indexdef(index_oid, column_no, false),
    '^\({1,2}_jsonb -> ''((?:[^'']|'''')*)''::text\){1,2}$'
  ) AS m
$fn$;

-- A collection table: a plain table beside a _ferretdb_database_metadata table (what FerretDB
-- itself checks to call a schema a database), other than that metadata table.
CREATE OR REPLACE FUNCTION _ferretdb_gin.is_collection_table(rel oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT EXISTS (
    SELECT 1
    FROM pg_class t
    JOIN pg_class m ON m.relnamespace = t.relnamespace
      AND m.relname = '_ferretdb_database_metadata' AND m.relkind = 'r'
    WHERE t.oid = rel AND t.relkind = 'r' AND t.relname <> '_ferretdb_database_metadata'
  )
$fn$;

-- The collection a table stores, read from FerretDB's metadata row for it (the row names the
-- table; table names are not derivable, FerretDB bumps the hash on a clash and keeps the table
-- when a collection is renamed). Null while the row does not exist yet.
CREATE OR REPLACE FUNCTION _ferretdb_gin.collection_name(rel oid)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  schema_name name;
  table_name name;
  found_name text;
BEGIN
  SELECT n.nspname, c.relname INTO schema_name, table_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = rel;
  EXECUTE format(
    'SELECT _jsonb ->> ''_id'' FROM %I._ferretdb_database_metadata WHERE _jsonb -> ''table'' = $1',
    schema_name
  ) INTO found_name USING to_jsonb(table_name::text);
  RETURN found_name;
END
$fn$;

CREATE OR REPLACE FUNCTION _ferretdb_gin.twin_name(table_name text, field text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT left(regexp_replace(table_name, '[^a-zA-Z0-9_]', '_', 'g'), 28)
    || '_' || left(regexp_replace(lower(field), '[^a-z0-9]+', '_', 'g'), 16)
    || '_' || left(md5(table_name || '/' || field), 8)
    || '_gin'
$fn$;

-- Fields that deserve a twin on a collection table: every top-level key of its btree indexes,
-- and `grams` when the table holds a collection named `messages`.
CREATE OR REPLACE FUNCTION _ferretdb_gin.wanted_fields(rel oid)
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT DISTINCT field
  FROM (
    SELECT _ferretdb_gin.key_field(i.indexrelid, k.n) AS field
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am a ON a.oid = c.relam AND a.amname = 'btree'
    CROSS JOIN generate_series(1, i.indnkeyatts) AS k(n)
    WHERE i.indrelid = rel
    UNION ALL
    SELECT 'grams' WHERE _ferretdb_gin.collection_name(rel) = 'messages'
  ) AS f
  WHERE field IS NOT NULL
$fn$;

-- The twins a table has: GIN indexes on one (_jsonb -> 'field') named as this script names them.
CREATE OR REPLACE FUNCTION _ferretdb_gin.existing_twins(rel oid)
RETURNS TABLE (index_name name, field text, valid boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.relname, f.field, i.indisvalid
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_am a ON a.oid = c.relam AND a.amname = 'gin'
  CROSS JOIN LATERAL _ferretdb_gin.key_field(i.indexrelid, 1) AS f(field)
  WHERE i.indrelid = rel AND i.indnkeyatts = 1
    AND c.relname = _ferretdb_gin.twin_name(t.relname, f.field)
$fn$;

-- CREATE INDEX statements for the twins a table lacks. The default operator class (jsonb_ops):
-- jsonb_path_ops, which also serves `@>`, measured 16 % smaller but no faster to write or read. `online` (CONCURRENTLY) is for the
-- backfill, which runs outside a transaction; it also replaces twins a failed build left invalid.
CREATE OR REPLACE FUNCTION _ferretdb_gin.create_statements(rel oid, online boolean)
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH target AS (
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = rel
  ), missing AS (
    SELECT w.field, e.valid
    FROM _ferretdb_gin.wanted_fields(rel) AS w(field)
    LEFT JOIN _ferretdb_gin.existing_twins(rel) AS e ON e.field = w.field
    WHERE e.valid IS NOT TRUE
  )
  SELECT s.statement
  FROM target, missing
  CROSS JOIN LATERAL (
    SELECT 1 AS step, format(
      'DROP INDEX %s IF EXISTS %I.%I',
      CASE WHEN online THEN 'CONCURRENTLY' ELSE '' END,
      target.nspname, _ferretdb_gin.twin_name(target.relname, missing.field)
    ) WHERE missing.valid IS FALSE AND online
    UNION ALL
    SELECT 2, format(
      'CREATE INDEX %s IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L))',
      CASE WHEN online THEN 'CONCURRENTLY' ELSE '' END,
      _ferretdb_gin.twin_name(target.relname, missing.field),
      target.nspname, target.relname, missing.field
    )
  ) AS s(step, statement)
  ORDER BY missing.field, s.step
$fn$;

-- DROP INDEX statements for twins no btree key asks for any more (after dropIndexes).
CREATE OR REPLACE FUNCTION _ferretdb_gin.drop_statements(rel oid, online boolean)
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT format(
    'DROP INDEX %s IF EXISTS %I.%I',
    CASE WHEN online THEN 'CONCURRENTLY' ELSE '' END,
    n.nspname, e.index_name
  )
  FROM _ferretdb_gin.existing_twins(rel) AS e
  JOIN pg_class c ON c.oid = rel
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE e.field NOT IN (SELECT w FROM _ferretdb_gin.wanted_fields(rel) AS w)
  ORDER BY e.index_name
$fn$;

CREATE OR REPLACE FUNCTION _ferretdb_gin.collection_tables()
RETURNS SETOF oid
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.oid FROM pg_class c
  WHERE c.relkind = 'r' AND _ferretdb_gin.is_collection_table(c.oid)
  ORDER BY c.oid
$fn$;

-- Runs each statement on its own; a failing twin is reported and skipped, never raised: the
-- DDL that fired the trigger is FerretDB's, and it must succeed whatever happens here.
CREATE OR REPLACE FUNCTION _ferretdb_gin.run_each(statements text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  statement text;
BEGIN
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP
    BEGIN
      EXECUTE statement;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'ferretdb-gin: % failed: % (%)', statement, SQLERRM, SQLSTATE;
    END;
  END LOOP;
END
$fn$;

-- ddl_command_end for CREATE INDEX: a new btree on a collection table (FerretDB creates the
-- `_id_` one with every collection, after writing its metadata row) gets its twins at once, in
-- FerretDB's transaction. Twins are GIN, so their own CREATE INDEX passes through here idle.
CREATE OR REPLACE FUNCTION _ferretdb_gin.on_create_index()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  rel oid;
BEGIN
  FOR rel IN
    SELECT DISTINCT i.indrelid
    FROM pg_event_trigger_ddl_commands() AS d
    JOIN pg_index i ON i.indexrelid = d.objid
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am a ON a.oid = c.relam AND a.amname = 'btree'
    WHERE d.classid = 'pg_class'::regclass AND _ferretdb_gin.is_collection_table(i.indrelid)
  LOOP
    PERFORM _ferretdb_gin.run_each(ARRAY(SELECT _ferretdb_gin.create_statements(rel, false)));
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'ferretdb-gin: twins not created: % (%)', SQLERRM, SQLSTATE;
END
$fn$;

-- sql_drop for DROP INDEX: drop the twins whose last btree went. The dropped index is gone from
-- the catalogue by now, so look at every collection table of its schema; in practice only the
-- table just changed has an orphan. (DROP TABLE and DROP SCHEMA take the twins with them.)
CREATE OR REPLACE FUNCTION _ferretdb_gin.on_drop_index()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  rel oid;
BEGIN
  FOR rel IN
    SELECT DISTINCT c.oid
    FROM pg_event_trigger_dropped_objects() AS d
    JOIN pg_namespace n ON n.nspname = d.schema_name
    JOIN pg_class c ON c.relnamespace = n.oid
    WHERE d.object_type = 'index' AND d.original AND _ferretdb_gin.is_collection_table(c.oid)
  LOOP
    PERFORM _ferretdb_gin.run_each(ARRAY(SELECT _ferretdb_gin.drop_statements(rel, false)));
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'ferretdb-gin: orphan twins not dropped: % (%)', SQLERRM, SQLSTATE;
END
$fn$;

-- Event triggers have no CREATE OR REPLACE; dropping and creating them in this transaction
-- leaves no moment without them.
DROP EVENT TRIGGER IF EXISTS ferretdb_gin_on_create_index;
CREATE EVENT TRIGGER ferretdb_gin_on_create_index ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION _ferretdb_gin.on_create_index();

DROP EVENT TRIGGER IF EXISTS ferretdb_gin_on_drop_index;
CREATE EVENT TRIGGER ferretdb_gin_on_drop_index ON sql_drop
  WHEN TAG IN ('DROP INDEX')
  EXECUTE FUNCTION _ferretdb_gin.on_drop_index();

COMMIT;

-- Backfill the tables that exist already. CONCURRENTLY keeps FerretDB's writes flowing while a
-- large table is indexed; \gexec runs each generated statement on its own, outside a
-- transaction, as CONCURRENTLY requires. Orphans go first, then the missing twins. A collection
-- dropped between the listing and its build fails the run: run the script again.
SELECT s
FROM _ferretdb_gin.collection_tables() AS t(rel)
CROSS JOIN LATERAL _ferretdb_gin.drop_statements(t.rel, true) AS s
\gexec

SELECT s
FROM _ferretdb_gin.collection_tables() AS t(rel)
CROSS JOIN LATERAL _ferretdb_gin.create_statements(t.rel, true) AS s
\gexec

-- Plans made for the actual parameter values, always. FerretDB sends the field name as a
-- parameter (`_jsonb -> $1 @> $2`), so a generic plan can never use a twin. Under the default
-- plan_cache_mode (auto) PostgreSQL switches a statement to its generic plan once that looks no
-- dearer than the custom plans so far, and FerretDB keeps its statements prepared on pooled
-- connections for as long as it runs: a statement first run while a table was small, or before
-- its twins existed, stays a sequential scan on that connection for good (measured: 4.5 s per
-- lookup on 1,000,000 messages, against 0.6 ms planned afresh). Planning afresh costs about a
-- millisecond a query. It applies to new connections: restart FerretDB after the first run.
SELECT format('ALTER DATABASE %I SET plan_cache_mode = force_custom_plan', current_database())
\gexec

-- Statistics, for tables that changed much since they were last analysed (as autovacuum would:
-- run this again after a bulk load where autovacuum is off). Without them PostgreSQL cannot tell
-- a rare key from a common one and reads a common n-gram's whole posting list (30 ms) where
-- the sender and day alone would do (0.6 ms).
SELECT format('ANALYZE %I.%I', n.nspname, c.relname)
FROM _ferretdb_gin.collection_tables() AS t(rel)
JOIN pg_class c ON c.oid = t.rel
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE s.n_mod_since_analyze > 1000 + 0.1 * greatest(c.reltuples, 0)
\gexec
