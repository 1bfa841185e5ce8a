-- tenant_lookup(): login resolves a tenant by slug or id before any tenant
-- context exists, without opening the tenants table itself to the service.
BEGIN;
SELECT plan(9);
\ir fixture.psql

SELECT pg_temp.act_as(NULL);
SET LOCAL ROLE isms_app;

SELECT is_empty($$SELECT 1 FROM tenants$$,
    'without a context the tenants table shows nothing');
SELECT results_eq($$SELECT * FROM tenant_lookup('tenant-b')$$,
    $$VALUES ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 'tenant-b', 'Tenant B')$$,
    'tenant_lookup finds a tenant by slug');
SELECT results_eq($$SELECT slug FROM tenant_lookup('Tenant-A')$$,
    $$VALUES ('tenant-a')$$,
    'slug lookup ignores case');
SELECT results_eq(
    $$SELECT * FROM tenant_lookup('aaaaaaaa-0000-4000-8000-000000000000')$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 'tenant-a', 'Tenant A')$$,
    'tenant_lookup finds a tenant by id');
SELECT results_eq(
    $$SELECT slug FROM tenant_lookup('AAAAAAAA-0000-4000-8000-000000000000')$$,
    $$VALUES ('tenant-a')$$,
    'id lookup accepts upper-case hex');
SELECT is_empty($$SELECT * FROM tenant_lookup('no-such-tenant')$$,
    'an unknown slug finds nothing');
SELECT is_empty($$SELECT * FROM tenant_lookup('12345678-0000-4000-8000-000000000000')$$,
    'an unknown id finds nothing');
SELECT is_empty($$SELECT * FROM tenant_lookup(NULL)$$,
    'NULL finds nothing');
RESET ROLE;

SELECT throws_ok(
    $$INSERT INTO tenants (slug, name) VALUES ('12345678-0000-4000-8000-000000000000', 'Ambiguous')$$,
    '23514', NULL, 'a slug that looks like a uuid is refused');

SELECT * FROM finish();
ROLLBACK;
