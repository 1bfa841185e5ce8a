-- The activity log: every change to tenant data lands in the tenant's own
-- hash chain in the same transaction, secrets stay out of it, the chain
-- verifies, and any edit, gap or cut tail is reported at the right seq.
BEGIN;
SELECT plan(30);
\ir fixture.psql

-- The fixture (written without a context) already started both chains:
-- seq 1 the tenant, 2-3 memberships, 4 the asset.
SELECT results_eq(
    $$SELECT tenant_id, seq, action, entity, entity_id FROM activity_log
       WHERE seq = 1 AND tenant_id IN ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000')
       ORDER BY tenant_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 1::bigint, 'create', 'tenants',
              'aaaaaaaa-0000-4000-8000-000000000000'),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 1::bigint, 'create', 'tenants',
              'bbbbbbbb-0000-4000-8000-000000000000')$$,
    'each tenant''s chain starts with its creation, taken from the row, not the context');
SELECT results_eq(
    $$SELECT entity_id FROM activity_log
       WHERE tenant_id = 'aaaaaaaa-0000-4000-8000-000000000000' AND entity = 'memberships'
       ORDER BY seq$$,
    $$VALUES ('cccccccc-0000-4000-8000-000000000001'), ('cccccccc-0000-4000-8000-000000000002')$$,
    'a membership is recorded under its user_id');

-- Changes made by the service in tenant A -----------------------------------

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001', 'req-1');
SET LOCAL ROLE isms_app;
INSERT INTO assets (tenant_id, id, name, type)
    VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000a2',
            'A printer', 'hardware');
UPDATE assets SET name = 'A printer (2nd floor)'
 WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a2';
DELETE FROM assets WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a2';

SELECT results_eq(
    $$SELECT seq, action, before ->> 'name', after ->> 'name' FROM activity_log
       WHERE entity = 'assets' AND entity_id = 'aaaaaaaa-0000-4000-8000-0000000000a2'
       ORDER BY seq$$,
    $$VALUES (5::bigint, 'create', NULL, 'A printer'),
             (6::bigint, 'update', 'A printer', 'A printer (2nd floor)'),
             (7::bigint, 'delete', 'A printer (2nd floor)', NULL)$$,
    'insert, update and delete of an asset are logged as create/update/delete with before/after');
SELECT is((SELECT after ->> 'version' FROM activity_log WHERE seq = 6), '2',
    'the logged after-image is the stamped row');
SELECT is((SELECT count(*) FROM activity_log
            WHERE seq BETWEEN 5 AND 7
              AND actor_id = 'cccccccc-0000-4000-8000-000000000001'
              AND request_id = 'req-1'), 3::bigint,
    'each entry records the acting user and the request id');
SELECT ok((SELECT occurred_at FROM activity_log WHERE seq = 5)
          <= (SELECT occurred_at FROM activity_log WHERE seq = 7),
    'occurred_at follows seq');
SELECT is(activity_append('login', 'users', 'cccccccc-0000-4000-8000-000000000001',
                          NULL, '{"method": "password"}'), 8::bigint,
    'activity_append adds a non-row event and returns its seq');
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (true, 8::bigint, NULL::bigint)$$,
    'tenant A''s chain verifies');

-- The documented formula, recomputed independently of activity_canonical().
SELECT is(hash,
          sha256(prev_hash || convert_to(concat_ws(chr(31),
              tenant_id::text, seq::text,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
              coalesce(actor_id::text, ''), coalesce(request_id, ''), action, entity,
              coalesce(entity_id, ''), coalesce(before::text, ''), coalesce(after::text, '')),
              'UTF8')),
          'a row''s hash is sha256(prev_hash || canonical text)')
  FROM activity_log WHERE seq = 6;
SELECT is((SELECT prev_hash FROM activity_log WHERE seq = 6),
          (SELECT hash FROM activity_log WHERE seq = 5),
          'each row links to the previous row''s hash');
RESET ROLE;

-- Secrets never reach the log ----------------------------------------------

CREATE TABLE secret_things (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    note           text,
    password_hash  text,
    secret_hash    text,
    token_hash     text,
    content        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid,
    updated_by     uuid,
    version        integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CALL tenant_table_setup('secret_things');
GRANT SELECT, INSERT, UPDATE ON secret_things TO isms_app;

SELECT pg_temp.act_as('bbbbbbbb-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000003', 'req-2');
SET LOCAL ROLE isms_app;
SELECT ok(c.relrowsecurity AND c.relforcerowsecurity, 'tenant_table_setup forces RLS')
  FROM pg_class c WHERE c.oid = 'secret_things'::regclass;
INSERT INTO secret_things (tenant_id, note, password_hash, secret_hash, token_hash, content)
    VALUES ('bbbbbbbb-0000-4000-8000-000000000000', 'n1', 'p', 's', 't', 'c');
UPDATE secret_things SET note = 'n2', token_hash = 't2';
SELECT results_eq(
    $$SELECT seq, before ->> 'note', after ->> 'note',
             coalesce(before, '{}') ?| ARRAY['password_hash', 'secret_hash', 'token_hash', 'content'],
             after ?| ARRAY['password_hash', 'secret_hash', 'token_hash', 'content']
        FROM activity_log WHERE entity = 'secret_things' ORDER BY seq$$,
    $$VALUES (5::bigint, NULL, 'n1', false, false), (6::bigint, 'n1', 'n2', false, false)$$,
    'password_hash, secret_hash, token_hash and content are stripped from before/after');
SELECT is(
    (SELECT count(*) FROM secret_things WHERE token_hash = 't2'), 1::bigint,
    'the secret itself is stored in its table');
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (true, 6::bigint, NULL::bigint)$$,
    'tenant B''s chain verifies');
RESET ROLE;

-- Independent chains ---------------------------------------------------------

SELECT results_eq(
    $$SELECT tenant_id, array_agg(seq ORDER BY seq) FROM activity_log
       WHERE tenant_id IN ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000')
       GROUP BY tenant_id ORDER BY tenant_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, ARRAY[1, 2, 3, 4, 5, 6, 7, 8]::bigint[]),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, ARRAY[1, 2, 3, 4, 5, 6]::bigint[])$$,
    'each tenant has its own gap-free sequence');
SELECT is(count(*), 2::bigint, 'each chain starts from the 32 zero-byte genesis')
  FROM activity_log
 WHERE tenant_id IN ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000')
   AND seq = 1 AND prev_hash = decode(repeat('00', 32), 'hex');
SELECT results_eq(
    $$SELECT h.tenant_id, h.seq, h.hash = l.hash FROM activity_heads h
        JOIN activity_log l ON l.tenant_id = h.tenant_id AND l.seq = h.seq
       WHERE h.tenant_id IN ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000')
       ORDER BY h.tenant_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 8::bigint, true),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 6::bigint, true)$$,
    'each head points at its chain''s last row');

-- Append-only, even for the owner and superuser -------------------------------

SELECT throws_ok($$UPDATE activity_log SET entity = 'x' WHERE seq = 1$$,
    'P0001', 'activity_log is append-only (UPDATE refused)',
    'an UPDATE of activity_log is refused even for a superuser');
SELECT throws_ok($$DELETE FROM activity_log WHERE seq = 1$$,
    'P0001', 'activity_log is append-only (DELETE refused)',
    'a DELETE from activity_log is refused even for a superuser');
SELECT throws_ok($$TRUNCATE activity_log$$,
    'P0001', 'activity_log is append-only (TRUNCATE refused)',
    'a TRUNCATE of activity_log is refused even for a superuser');

-- Tampering is detected --------------------------------------------------------
-- A superuser can still get past the guard; the chain is what tells.

SET LOCAL session_replication_role = replica;
UPDATE activity_log SET after = jsonb_set(after, '{name}', '"forged"')
 WHERE tenant_id = 'aaaaaaaa-0000-4000-8000-000000000000' AND seq = 5;
SET LOCAL session_replication_role = origin;

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000');
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (false, 4::bigint, 5::bigint)$$,
    'an edited after-image breaks tenant A''s chain at that seq');
RESET ROLE;

SELECT pg_temp.act_as('bbbbbbbb-0000-4000-8000-000000000000');
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (true, 6::bigint, NULL::bigint)$$,
    'tenant B''s chain is unaffected by A''s damage');
RESET ROLE;

SET LOCAL session_replication_role = replica;
DELETE FROM activity_log
 WHERE tenant_id = 'bbbbbbbb-0000-4000-8000-000000000000' AND seq = 3;
SET LOCAL session_replication_role = origin;
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (false, 2::bigint, 3::bigint)$$,
    'a removed row is reported as a gap at its seq');
RESET ROLE;

-- Two more tenants for the subtler forgeries.
INSERT INTO tenants (id, slug, name) VALUES
    ('dddddddd-0000-4000-8000-000000000000', 'tenant-d', 'Tenant D'),
    ('eeeeeeee-0000-4000-8000-000000000000', 'tenant-e', 'Tenant E');
INSERT INTO assets (tenant_id, name, type) VALUES
    ('dddddddd-0000-4000-8000-000000000000', 'D one', 'site'),
    ('dddddddd-0000-4000-8000-000000000000', 'D two', 'site'),
    ('eeeeeeee-0000-4000-8000-000000000000', 'E one', 'site'),
    ('eeeeeeee-0000-4000-8000-000000000000', 'E two', 'site');

-- D: row 2 edited and its own hash recomputed; row 3 no longer links to it.
SET LOCAL session_replication_role = replica;
UPDATE activity_log
   SET after = jsonb_set(after, '{name}', '"D forged"'),
       hash = sha256(prev_hash || convert_to(activity_canonical(
           tenant_id, seq, occurred_at, actor_id, request_id, action, entity, entity_id,
           before, jsonb_set(after, '{name}', '"D forged"')), 'UTF8'))
 WHERE tenant_id = 'dddddddd-0000-4000-8000-000000000000' AND seq = 2;
-- E: the last row cut off; the head still remembers it.
DELETE FROM activity_log
 WHERE tenant_id = 'eeeeeeee-0000-4000-8000-000000000000' AND seq = 3;
SET LOCAL session_replication_role = origin;

SELECT pg_temp.act_as('dddddddd-0000-4000-8000-000000000000');
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (false, 2::bigint, 3::bigint)$$,
    'a row re-hashed after editing breaks the link of the next row');
RESET ROLE;
SELECT pg_temp.act_as('eeeeeeee-0000-4000-8000-000000000000');
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (false, 2::bigint, 3::bigint)$$,
    'a cut-off tail is caught by the head');
RESET ROLE;

-- A tenant with no history yet verifies as empty and intact.
SET LOCAL session_replication_role = replica;
INSERT INTO tenants (id, slug, name)
    VALUES ('ffffffff-0000-4000-8000-000000000000', 'tenant-f', 'Tenant F');
SET LOCAL session_replication_role = origin;
SELECT pg_temp.act_as('ffffffff-0000-4000-8000-000000000000');
SET LOCAL ROLE isms_app;
SELECT results_eq($$SELECT * FROM activity_verify()$$,
    $$VALUES (true, 0::bigint, NULL::bigint)$$,
    'an empty chain verifies');
RESET ROLE;

-- Context is required ----------------------------------------------------------

SELECT pg_temp.act_as(NULL, 'cccccccc-0000-4000-8000-000000000001');
SET LOCAL ROLE isms_app;
SELECT throws_ok($$SELECT activity_append('login', 'users', NULL, NULL, NULL)$$,
    '42501', 'activity_append: app.tenant_id is not set',
    'activity_append needs a tenant context');
SELECT throws_ok($$SELECT * FROM activity_verify()$$,
    '42501', 'activity_verify: app.tenant_id is not set',
    'activity_verify needs a tenant context');
RESET ROLE;

-- A failed change leaves no trace in the log.
SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000');
SET LOCAL ROLE isms_app;
SELECT throws_ok(
    $$INSERT INTO assets (tenant_id, name, type)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', '', 'hardware')$$,
    '23514', NULL, 'an invalid asset is rejected');
SELECT is((SELECT max(seq) FROM activity_log), 8::bigint,
    'and nothing was appended for it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
