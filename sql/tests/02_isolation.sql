-- Tenant isolation as the services see it: connected as isms_app with a
-- tenant context, another tenant's rows are invisible, unchangeable and
-- cannot be created; without a context nothing is visible at all.
BEGIN;
SELECT plan(35);
\ir fixture.psql

-- In tenant A's context ------------------------------------------------------

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001');
SET LOCAL ROLE isms_app;

SELECT results_eq($$SELECT id FROM assets$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-0000000000a1'::uuid)$$,
    'A sees only its own asset');
SELECT is_empty($$SELECT 1 FROM assets WHERE id = 'bbbbbbbb-0000-4000-8000-0000000000b1'$$,
    'A cannot fetch B''s asset by id');
SELECT results_eq($$SELECT user_id FROM memberships ORDER BY user_id$$,
    $$VALUES ('cccccccc-0000-4000-8000-000000000001'::uuid),
             ('cccccccc-0000-4000-8000-000000000002'::uuid)$$,
    'A sees only its own memberships');
SELECT results_eq($$SELECT slug FROM tenants$$, $$VALUES ('tenant-a')$$,
    'A sees only its own tenant row');
SELECT is((SELECT count(*) FROM activity_log
            WHERE tenant_id <> 'aaaaaaaa-0000-4000-8000-000000000000'), 0::bigint,
    'A sees no activity of another tenant');
SELECT ok((SELECT count(*) FROM activity_log) > 0, 'A sees its own activity');

SELECT is_empty($$UPDATE assets SET name = 'taken over'
                   WHERE id = 'bbbbbbbb-0000-4000-8000-0000000000b1' RETURNING id$$,
    'updating B''s asset from A affects no row');
SELECT is_empty($$DELETE FROM assets
                   WHERE id = 'bbbbbbbb-0000-4000-8000-0000000000b1' RETURNING id$$,
    'deleting B''s asset from A affects no row');
SELECT is_empty($$UPDATE memberships SET role = 'viewer'
                   WHERE tenant_id = 'bbbbbbbb-0000-4000-8000-000000000000' RETURNING user_id$$,
    'updating B''s memberships from A affects no row');
SELECT is_empty($$DELETE FROM memberships
                   WHERE tenant_id = 'bbbbbbbb-0000-4000-8000-000000000000' RETURNING user_id$$,
    'deleting B''s memberships from A affects no row');
SELECT is_empty($$UPDATE tenants SET name = 'Owned'
                   WHERE id = 'bbbbbbbb-0000-4000-8000-000000000000' RETURNING id$$,
    'renaming tenant B from A affects no row');

SELECT throws_ok(
    $$INSERT INTO assets (tenant_id, name, type)
      VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'planted', 'hardware')$$,
    '42501', 'new row violates row-level security policy for table "assets"',
    'A cannot insert an asset for B');
SELECT throws_ok(
    $$INSERT INTO memberships (tenant_id, user_id, role)
      VALUES ('bbbbbbbb-0000-4000-8000-000000000000',
              'cccccccc-0000-4000-8000-000000000002', 'admin')$$,
    '42501', 'new row violates row-level security policy for table "memberships"',
    'A cannot grant itself a membership in B');
SELECT throws_ok(
    $$INSERT INTO idempotency_keys (tenant_id, key, method, path, request_hash)
      VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'k1', 'POST', '/api/v1/assets', sha256(''))$$,
    '42501', 'new row violates row-level security policy for table "idempotency_keys"',
    'A cannot write B''s idempotency keys');
SELECT throws_ok(
    $$UPDATE assets SET tenant_id = 'bbbbbbbb-0000-4000-8000-000000000000'
       WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1'$$,
    '23000', 'column "tenant_id" of table "assets" cannot be changed',
    'A cannot move its own asset to B');

-- What A may do, it can do.
SELECT lives_ok(
    $$INSERT INTO assets (tenant_id, name, type)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'A server', 'hardware')$$,
    'A can insert its own asset');
SELECT lives_ok(
    $$INSERT INTO idempotency_keys (tenant_id, key, method, path, request_hash)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'k1', 'POST', '/api/v1/assets', sha256(''))$$,
    'A can record an idempotency key');
SELECT results_eq(
    $$UPDATE tenants SET name = 'Tenant A, renamed' RETURNING slug, version$$,
    $$VALUES ('tenant-a', 2)$$,
    'A can rename its own tenant');
SELECT results_eq(
    $$SELECT before ->> 'name', after ->> 'name' FROM activity_log
       WHERE entity = 'tenants' AND action = 'update'$$,
    $$VALUES ('Tenant A', 'Tenant A, renamed')$$,
    'the rename is in A''s activity log');
SELECT is((SELECT version FROM assets WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1'), 1,
    'a new row starts at version 1');
SELECT results_eq(
    $$UPDATE assets SET name = 'A laptop (renamed)'
       WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1' AND version = 1
      RETURNING version, updated_by$$,
    $$VALUES (2, 'cccccccc-0000-4000-8000-000000000001'::uuid)$$,
    'an update bumps version and records the acting user');
SELECT throws_ok(
    $$UPDATE assets SET created_at = now() - interval '1 day'
       WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1'$$,
    '23000', 'column "created_at" of table "assets" cannot be changed',
    'created_at is immutable');
RESET ROLE;

-- B's rows are untouched after A's attempts.
SELECT results_eq(
    $$SELECT name, version FROM assets WHERE id = 'bbbbbbbb-0000-4000-8000-0000000000b1'$$,
    $$VALUES ('B database', 1)$$,
    'B''s asset is unchanged');
SELECT results_eq(
    $$SELECT user_id, role FROM memberships
       WHERE tenant_id = 'bbbbbbbb-0000-4000-8000-000000000000' ORDER BY user_id$$,
    $$VALUES ('cccccccc-0000-4000-8000-000000000001'::uuid, 'editor'),
             ('cccccccc-0000-4000-8000-000000000003'::uuid, 'admin')$$,
    'B''s memberships are unchanged');
SELECT is((SELECT name FROM tenants WHERE slug = 'tenant-b'), 'Tenant B',
    'tenant B''s name is unchanged');

-- In tenant B's context, A's new rows are just as invisible.
SELECT pg_temp.act_as('bbbbbbbb-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000003');
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT name FROM assets$$, $$VALUES ('B database')$$,
    'B sees only its own asset');
SELECT is_empty($$SELECT 1 FROM idempotency_keys$$, 'B does not see A''s idempotency key');
RESET ROLE;

-- No context --------------------------------------------------------------

SELECT pg_temp.act_as(NULL);
SET LOCAL ROLE isms_app;
SELECT is_empty($$SELECT 1 FROM assets$$, 'without a context no asset is visible');
SELECT is_empty($$SELECT 1 FROM memberships$$, 'without a context no membership is visible');
SELECT is_empty($$SELECT 1 FROM tenants$$, 'without a context no tenant is visible');
SELECT is_empty($$SELECT 1 FROM activity_log$$, 'without a context no activity is visible');
SELECT throws_ok(
    $$INSERT INTO assets (tenant_id, name, type)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'orphan', 'hardware')$$,
    '42501', 'new row violates row-level security policy for table "assets"',
    'without a context nothing can be inserted');
RESET ROLE;

-- Login: only the user is known. Their memberships in every tenant are
-- visible, nobody else's, and nothing beyond memberships.
SELECT pg_temp.act_as(NULL, 'cccccccc-0000-4000-8000-000000000001');
SET LOCAL ROLE isms_app;
SELECT results_eq(
    $$SELECT tenant_id, role FROM memberships ORDER BY tenant_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 'admin'),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 'editor')$$,
    'at login a user sees their own memberships across tenants');
SELECT is_empty($$SELECT 1 FROM assets$$, 'at login no asset is visible');
RESET ROLE;

-- With a tenant context as well, the login policy no longer widens anything.
SELECT pg_temp.act_as('bbbbbbbb-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000002');
SET LOCAL ROLE isms_app;
SELECT is_empty($$SELECT 1 FROM memberships
                   WHERE user_id = 'cccccccc-0000-4000-8000-000000000002'$$,
    'in B''s context user 2 does not see their membership in A');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
