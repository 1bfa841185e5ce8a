-- Catalog-level guarantees that hold for every table, present and future:
-- forced row-level security on tenant data, no policy that ignores the
-- tenant, and a service role that owns and can bypass nothing.
BEGIN;
SELECT plan(21);

-- Tenant data --------------------------------------------------------------

SELECT is(count(*), 0::bigint,
          'every public table with a tenant_id column has RLS enabled and forced; violators: '
          || coalesce(string_agg(c.oid::regclass::text, ', '), 'none'))
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
   AND NOT (c.relrowsecurity AND c.relforcerowsecurity);

SELECT ok(count(*) >= 5, 'the tenant_id table check above actually sees tables ('
          || string_agg(c.oid::regclass::text, ', ' ORDER BY c.relname) || ')')
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p');

SELECT ok(relrowsecurity AND relforcerowsecurity, 'tenants has RLS enabled and forced')
  FROM pg_class WHERE oid = 'public.tenants'::regclass;

-- A table isms_app can touch must carry a policy that restricts it to the
-- context tenant; otherwise forced RLS would merely hide everything.
SELECT is(count(*), 0::bigint,
          'every tenant_id table isms_app may access has a tenant policy; violators: '
          || coalesce(string_agg(c.oid::regclass::text, ', '), 'none'))
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p')
   AND has_table_privilege('isms_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
   AND NOT EXISTS (SELECT 1 FROM pg_policies p
                    WHERE p.schemaname = 'public' AND p.tablename = c.relname
                      AND p.roles && ARRAY['public', 'isms_app']::name[]
                      AND p.qual ~ 'app_tenant_id\(\)');

-- No policy that applies to the services may ignore the tenant context
-- (USING (true) slipped into a migration, for instance).
SELECT is(count(*), 0::bigint,
          'every policy applying to isms_app checks app_tenant_id() in USING and WITH CHECK; violators: '
          || coalesce(string_agg(p.tablename || '.' || p.policyname, ', '), 'none'))
  FROM pg_policies p
 WHERE p.schemaname = 'public'
   AND p.roles && ARRAY['public', 'isms_app']::name[]
   AND (p.qual IS NULL OR p.qual !~ 'app_tenant_id\(\)'
        OR (p.with_check IS NOT NULL AND p.with_check !~ 'app_tenant_id\(\)'));

-- The service role -----------------------------------------------------------

SELECT ok(NOT rolsuper AND NOT rolbypassrls AND NOT rolcreaterole AND NOT rolcreatedb,
          'isms_app is not superuser and has no BYPASSRLS, CREATEROLE or CREATEDB')
  FROM pg_roles WHERE rolname = 'isms_app';

SELECT is(count(*), 0::bigint, 'isms_app is a member of no role')
  FROM pg_auth_members WHERE member = 'isms_app'::regrole;

SELECT is((SELECT count(*) FROM pg_class WHERE relowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_proc WHERE proowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_namespace WHERE nspowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_type WHERE typowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_database WHERE datdba = 'isms_app'::regrole),
          0::bigint, 'isms_app owns no relation, function, schema, type or database');

SELECT ok(NOT has_schema_privilege('isms_app', 'public', 'CREATE'),
          'isms_app cannot create objects in schema public');

-- The only privileged entry points the services get.
SELECT is(array_agg(p.proname::text ORDER BY p.proname),
          ARRAY['activity_append', 'activity_verify', 'auth_login_candidates', 'tenant_lookup'],
          'the SECURITY DEFINER functions isms_app may execute')
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef
   AND has_function_privilege('isms_app', p.oid, 'EXECUTE');

SELECT ok(NOT has_table_privilege('isms_app', 'activity_heads', 'SELECT, INSERT, UPDATE, DELETE'),
          'isms_app has no privilege on activity_heads');

-- Acting as the service ------------------------------------------------------

\ir fixture.psql
SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001');
SET LOCAL ROLE isms_app;

SELECT throws_ok(
    $$INSERT INTO activity_log (tenant_id, seq, action, entity, prev_hash, hash)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 100, 'create', 'x',
              sha256(''), sha256(''))$$,
    '42501', NULL, 'isms_app cannot INSERT into activity_log');
SELECT throws_ok($$UPDATE activity_log SET entity = 'x'$$,
    '42501', NULL, 'isms_app cannot UPDATE activity_log');
SELECT throws_ok($$DELETE FROM activity_log$$,
    '42501', NULL, 'isms_app cannot DELETE from activity_log');
SELECT throws_ok($$TRUNCATE activity_log$$,
    '42501', NULL, 'isms_app cannot TRUNCATE activity_log');
SELECT throws_ok($$SELECT * FROM activity_heads$$,
    '42501', NULL, 'isms_app cannot read activity_heads');
SELECT throws_ok(
    $$SELECT activity_append_for('bbbbbbbb-0000-4000-8000-000000000000', 'create', 'assets',
                                 NULL, NULL, NULL)$$,
    '42501', NULL, 'isms_app cannot append to an arbitrary tenant''s chain');
SELECT throws_ok($$CALL tenant_table_setup('assets')$$,
    '42501', NULL, 'isms_app cannot run tenant_table_setup');
SELECT throws_ok($$UPDATE tenants SET slug = 'renamed'$$,
    '42501', NULL, 'isms_app cannot change a tenant''s slug');
SELECT throws_ok($$SELECT created_at FROM users$$,
    '42501', NULL, 'isms_app reads only the granted columns of users');
SELECT throws_ok($$CREATE TABLE public.sneaky (id int)$$,
    '42501', NULL, 'isms_app cannot create a table in public');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
