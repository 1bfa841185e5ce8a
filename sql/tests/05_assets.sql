-- The asset inventory's database side (0004): owners and dependencies stay
-- inside the tenant, cycles are refused, effective C/I/A follow the
-- dependents, the tenant's settings and the row checks, the lifecycle
-- dates, and the statement-level activity trigger keeps every tenant's
-- chain intact, one entry per row, also for statements over several
-- tenants.
BEGIN;
SELECT plan(27);
\ir fixture.psql

-- Two more assets in A, written by the owner side like the fixture's.
INSERT INTO assets (tenant_id, id, name, type, confidentiality, integrity, availability) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000a2',
     'A app', 'software', 4, 1, NULL),
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000a3',
     'A room', 'site', 1, NULL, 3);

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001', 'req-assets');
SET LOCAL ROLE isms_app;

-- Defaults and checks -------------------------------------------------------

SELECT is(asset_settings(),
    '{"asset_classifications": ["public", "internal", "confidential", "restricted"],
      "cia_scale": {"min": 1, "max": 4}}'::jsonb,
    'a tenant without settings has the default scheme and scale');
SELECT results_eq(
    $$SELECT field FROM asset_problems(
        jsonb_populate_record(NULL::assets, '{"classification": "secret", "confidentiality": 5,
            "owner_id": "cccccccc-0000-4000-8000-000000000003",
            "custodian_id": "cccccccc-0000-4000-8000-000000000002",
            "in_use_since": "2024-02-01", "retired_on": "2024-01-01"}'),
        asset_settings()) ORDER BY 1$$,
    $$VALUES ('classification'), ('confidentiality'), ('owner_id'), ('retired_on')$$,
    'asset_problems names each field against the settings and the members (B''s user is none of A''s)');
UPDATE tenants SET settings = settings || '{"asset_classifications": ["open", "secret"],
                                             "cia_scale": {"min": 0, "max": 9}}';
SELECT is_empty(
    $$SELECT 1 FROM asset_problems(
        jsonb_populate_record(NULL::assets, '{"classification": "secret", "confidentiality": 9}'),
        asset_settings())$$,
    'the tenant''s own scheme and scale replace the defaults');

SELECT throws_ok(
    $$INSERT INTO assets (tenant_id, name, type, owner_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'x', 'site',
              'cccccccc-0000-4000-8000-000000000003')$$,
    '23503', NULL, 'the database refuses an owner who is not a member of the tenant');

-- Lifecycle -----------------------------------------------------------------

INSERT INTO assets (tenant_id, id, name, type, status)
    VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000a4',
            'A planned', 'hardware', 'planned');
SELECT ok((SELECT in_use_since IS NULL AND status_changed_at IS NOT NULL FROM assets
            WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a4'),
    'a planned asset has no in-use date, and a status timestamp');
UPDATE assets SET status = 'disposed' WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a4';
SELECT is((SELECT disposed_on FROM assets WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a4'),
    current_date, 'entering a status fills its date when none was given');

-- Dependencies ----------------------------------------------------------------

SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a2',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a1')),
    'ok', 'the app depends on the laptop');
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a1',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a3')),
    'ok', 'the laptop depends on the room');
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a3',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a2')),
    'cycle', 'room -> app would close app -> laptop -> room: refused');
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a1',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a1')),
    'self', 'an asset cannot depend on itself');
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a2',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a1')),
    'exists', 'an edge is recorded once');
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a2',
                                                    'bbbbbbbb-0000-4000-8000-0000000000b1')),
    'no_target', 'B''s asset is no target for A');
SELECT is((SELECT outcome FROM asset_dependency_add('bbbbbbbb-0000-4000-8000-0000000000b1',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a1')),
    'no_asset', 'B''s asset cannot be given dependencies from A');
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a1',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a4')),
    'ok', 'a disposed (not archived) asset may still be depended on');
SELECT throws_ok(
    $$INSERT INTO asset_dependencies (tenant_id, asset_id, depends_on_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000a1',
              'bbbbbbbb-0000-4000-8000-0000000000b1')$$,
    '23503', NULL, 'the tenant-inclusive foreign key refuses an edge to B''s asset');
SELECT throws_ok(
    $$INSERT INTO asset_dependencies (tenant_id, asset_id, depends_on_id)
      VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b1',
              'bbbbbbbb-0000-4000-8000-0000000000b1')$$,
    '42501', NULL, 'A cannot write B''s dependencies');

-- Effective values: the room carries the app's confidentiality (through
-- the laptop) and its own availability.
SELECT is(asset_effective(a.id, a.confidentiality, a.integrity, a.availability),
    '{"confidentiality": {"value": 4, "source_id": "aaaaaaaa-0000-4000-8000-0000000000a2"},
      "integrity": {"value": 1, "source_id": "aaaaaaaa-0000-4000-8000-0000000000a2"},
      "availability": {"value": 3, "source_id": "aaaaaaaa-0000-4000-8000-0000000000a3"}}'::jsonb,
    'effective C/I/A come from the highest dependent, named')
  FROM assets a WHERE a.id = 'aaaaaaaa-0000-4000-8000-0000000000a3';
UPDATE assets SET archived_at = now() WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a2';
SELECT is(asset_effective(a.id, a.confidentiality, a.integrity, a.availability) -> 'confidentiality',
    '{"value": 1, "source_id": "aaaaaaaa-0000-4000-8000-0000000000a3"}'::jsonb,
    'an archived dependent no longer counts')
  FROM assets a WHERE a.id = 'aaaaaaaa-0000-4000-8000-0000000000a3';
SELECT is((SELECT outcome FROM asset_dependency_add('aaaaaaaa-0000-4000-8000-0000000000a3',
                                                    'aaaaaaaa-0000-4000-8000-0000000000a2')),
    'archived', 'archived assets take no new edges');

-- The activity log ----------------------------------------------------------

SELECT is((SELECT count(*) FROM activity_log
            WHERE request_id = 'req-assets' AND entity = 'asset_dependencies'),
    3::bigint, 'each added edge is logged under the dependent asset');
INSERT INTO assets (tenant_id, name, type)
    SELECT 'aaaaaaaa-0000-4000-8000-000000000000', 'bulk ' || g, 'hardware'
      FROM generate_series(1, 50) g;
SELECT results_eq(
    $$SELECT count(*), max(seq) - min(seq) + 1, count(DISTINCT occurred_at)
        FROM activity_log WHERE request_id = 'req-assets' AND entity = 'assets'
         AND action = 'create' AND after ->> 'name' LIKE 'bulk %'$$,
    $$VALUES (50::bigint, 50::bigint, 1::bigint)$$,
    'a 50-row insert is 50 consecutive entries of one moment');
SELECT results_eq(
    $$SELECT before ->> 'name', after ->> 'name', after ->> 'version'
        FROM activity_log WHERE request_id = 'req-assets' AND entity = 'assets'
         AND action = 'update' AND entity_id = 'aaaaaaaa-0000-4000-8000-0000000000a4'$$,
    $$VALUES ('A planned', 'A planned', '2')$$,
    'an update pairs the row''s before and after images');
DELETE FROM assets WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a4';
SELECT is((SELECT count(*) FROM activity_log
            WHERE request_id = 'req-assets' AND entity = 'asset_dependencies'
              AND action = 'delete'),
    1::bigint, 'a purge takes its edges with it, logged');
SELECT results_eq($$SELECT ok FROM activity_verify()$$, $$VALUES (true)$$,
    'A''s chain verifies after the statement-level entries');

-- A member leaving leaves the asset without an owner, logged.
RESET ROLE;
UPDATE assets SET owner_id = 'cccccccc-0000-4000-8000-000000000002'
 WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a3';
DELETE FROM memberships
 WHERE tenant_id = 'aaaaaaaa-0000-4000-8000-000000000000'
   AND user_id = 'cccccccc-0000-4000-8000-000000000002';
SELECT is((SELECT owner_id FROM assets WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a3'),
    NULL, 'when the owner leaves the tenant, the asset has no owner');

-- One statement over both tenants (an operator's): each chain gets its
-- own entries and both verify.
SELECT pg_temp.act_as(NULL, NULL, 'req-both');
UPDATE assets SET location = 'moved'
 WHERE id IN ('aaaaaaaa-0000-4000-8000-0000000000a1', 'bbbbbbbb-0000-4000-8000-0000000000b1');
SELECT results_eq(
    $$SELECT tenant_id, entity_id FROM activity_log WHERE request_id = 'req-both'
       ORDER BY tenant_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 'aaaaaaaa-0000-4000-8000-0000000000a1'),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 'bbbbbbbb-0000-4000-8000-0000000000b1')$$,
    'a statement over two tenants writes into each tenant''s chain');
SELECT pg_temp.act_as('bbbbbbbb-0000-4000-8000-000000000000');
SELECT results_eq($$SELECT ok FROM activity_verify()$$, $$VALUES (true)$$,
    'and B''s chain verifies too');

SELECT * FROM finish();
ROLLBACK;
