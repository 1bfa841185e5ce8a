-- The benchmark's data set, written through the database as isms_owner
-- (which FORCE ROW LEVEL SECURITY holds to the tenant policies like the
-- services' role): every batch names its tenant with set_config() first,
-- so the row stamps, derivations and the hash-chained activity log run
-- exactly as they do for the API.
--
--   psql -v tenant=<uuid of the large tenant> -v admin=<its admin's id> -f seed.sql
--
-- The large tenant (created by ismsctl, so that its admin can log in)
-- gets 50 more members, 1,000,000 assets, 200,000 risks (2,000 of them
-- treated by controls), 93 controls covering ISO/IEC 27001:2022 Annex A,
-- a full Statement of Applicability and 5,000 evidence records. Then
-- 999 more tenants, each with an admin and 20 assets.
\set ON_ERROR_STOP on
\timing off
SET client_min_messages = warning;

-- The large tenant's context, LOCAL: each transaction sets it again.
SELECT format('SELECT set_config(%L, %L, true), set_config(%L, %L, true),'
              ' set_config(%L, %L, true);', 'app.tenant_id', :'tenant',
              'app.user_id', :'admin', 'app.request_id', 'bench seed') AS ctx
\gset

SELECT to_char(clock_timestamp(), 'HH24:MI:SS') AS now \gset
\echo seed: :now members
BEGIN;
:ctx
INSERT INTO users (email, display_name)
SELECT format('member%s@bench.example', n), format('Member %s', n)
  FROM generate_series(1, 50) n;
INSERT INTO memberships (tenant_id, user_id, role)
SELECT app_tenant_id(), u.id, CASE WHEN n % 10 = 0 THEN 'viewer' ELSE 'editor' END
  FROM (SELECT id, row_number() OVER (ORDER BY email) AS n
          FROM users WHERE email LIKE 'member%@bench.example') u;
COMMIT;

-- Owners are drawn from the members; one asset in three has none.
CREATE TEMP TABLE bench_members AS
SELECT row_number() OVER (ORDER BY u.email) - 1 AS n, u.id
  FROM users u WHERE u.email LIKE 'member%@bench.example';

SELECT to_char(clock_timestamp(), 'HH24:MI:SS') AS now \gset
\echo seed: :now 1,000,000 assets in 10 transactions
SELECT format($q$
BEGIN;
%s
INSERT INTO assets (tenant_id, name, description, type, owner_id, location,
                    classification, confidentiality, integrity, availability,
                    status, tags, external_id, review_date)
SELECT app_tenant_id(),
       format('%%s %%s', (ARRAY['Laptop', 'Server', 'Database', 'Contract', 'Repository',
                               'Payroll file', 'Office', 'Supplier', 'Backup set',
                               'Mobile phone'])[g %% 10 + 1], g),
       CASE WHEN g %% 4 = 0 THEN format('Asset number %%s of the inventory', g) END,
       (ARRAY['information', 'software', 'hardware', 'service', 'people', 'site',
              'supplier'])[g %% 7 + 1],
       CASE WHEN g %% 3 <> 0 THEN (SELECT id FROM bench_members WHERE n = g %% 50) END,
       (ARRAY['Berlin', 'Lisbon', 'Dublin', 'Cloud eu-west'])[g %% 4 + 1],
       (ARRAY['public', 'internal', 'confidential', 'restricted'])[g %% 4 + 1],
       g %% 4 + 1, (g / 4) %% 4 + 1, (g / 16) %% 4 + 1,
       (ARRAY['in_use', 'in_use', 'in_use', 'planned', 'retired'])[g %% 5 + 1],
       CASE WHEN g %% 5 = 0 THEN ARRAY['pci'] WHEN g %% 5 = 1 THEN ARRAY['gdpr', 'crown-jewel']
            ELSE '{}' END,
       format('CMDB-%%s', g),
       current_date + (g %% 365)
  FROM generate_series(%s, %s) g;
COMMIT;
$q$, :'ctx', b * 100000 + 1, (b + 1) * 100000)
  FROM generate_series(0, 9) b
\gexec

SELECT to_char(clock_timestamp(), 'HH24:MI:SS') AS now \gset
\echo seed: :now 200,000 risks in 4 transactions
SELECT format($q$
BEGIN;
%s
INSERT INTO risks (tenant_id, title, description, category, owner_id,
                   inherent_likelihood, inherent_impact,
                   current_likelihood, current_impact, status)
SELECT app_tenant_id(), format('Risk %%s: %%s', g,
           (ARRAY['ransomware on file servers', 'supplier data breach',
                  'laptop theft', 'phishing of payroll staff', 'cloud region outage',
                  'insider data exfiltration', 'unpatched VPN appliance',
                  'lost backup media'])[g %% 8 + 1]),
       CASE WHEN g %% 2 = 0 THEN 'Identified in the annual risk assessment.' END,
       (ARRAY['technical', 'organisational', 'people', 'physical'])[g %% 4 + 1],
       (SELECT id FROM bench_members WHERE n = g %% 50),
       g %% 5 + 1, (g / 5) %% 5 + 1, greatest(g %% 5, 1), greatest((g / 5) %% 5, 1),
       CASE WHEN g %% 10 = 0 THEN 'identified' ELSE 'assessed' END
  FROM generate_series(%s, %s) g;
COMMIT;
$q$, :'ctx', b * 50000 + 1, (b + 1) * 50000)
  FROM generate_series(0, 3) b
\gexec

SELECT to_char(clock_timestamp(), 'HH24:MI:SS') AS now \gset
\echo seed: :now controls, the Statement of Applicability, evidence, treatments
BEGIN;
:ctx
-- One control per Annex A control, named after it, linked to it.
CREATE TEMP TABLE bench_annex AS
SELECT row_number() OVER (ORDER BY q.sort_order) - 1 AS n, q.id, q.ref, q.title
  FROM requirements q JOIN frameworks f ON f.id = q.framework_id
 WHERE f.slug = 'iso27001-2022' AND q.kind = 'control';
INSERT INTO controls (tenant_id, name, description, owner_id, status, effectiveness)
SELECT app_tenant_id(), format('%s %s', a.ref, a.title),
       format('How we implement %s.', a.ref),
       (SELECT id FROM bench_members WHERE n = a.n % 50),
       (ARRAY['implemented', 'implemented', 'implemented', 'partial', 'planned'])[a.n % 5 + 1],
       (ARRAY['effective', 'effective', 'partially_effective', 'not_assessed'])[a.n % 4 + 1]
  FROM bench_annex a;
CREATE TEMP TABLE bench_controls AS
SELECT a.n, a.id AS requirement_id, c.id
  FROM bench_annex a JOIN controls c ON c.name = format('%s %s', a.ref, a.title);
INSERT INTO control_requirements (tenant_id, control_id, requirement_id)
SELECT app_tenant_id(), id, requirement_id FROM bench_controls;
-- Every Annex A control decided: 90 included, the last 3 excluded.
INSERT INTO soa_entries (tenant_id, requirement_id, applicable, justification_reasons,
                         justification, exclusion_justification)
SELECT app_tenant_id(), a.id, a.n < 90,
       CASE WHEN a.n < 90 THEN ARRAY['risk_treatment', 'best_practice'] ELSE '{}' END,
       CASE WHEN a.n < 90 THEN 'Treats risks in the register.' END,
       CASE WHEN a.n >= 90 THEN 'No such activity in scope.' END
  FROM bench_annex a;
INSERT INTO evidence (tenant_id, title, kind, url, valid_from, valid_until)
SELECT app_tenant_id(), format('Evidence %s', g), 'link',
       format('https://evidence.bench.example/%s', g),
       current_date - 30, current_date + 335
  FROM generate_series(1, 5000) g;
INSERT INTO evidence_controls (tenant_id, evidence_id, control_id)
SELECT app_tenant_id(), e.id, c.id
  FROM (SELECT id, row_number() OVER (ORDER BY title) AS n FROM evidence) e
  JOIN bench_controls c ON c.n = e.n % (SELECT count(*) FROM bench_controls);
-- 2,000 risks treated, each by one control.
INSERT INTO risk_treatments (tenant_id, risk_id, action, status)
SELECT app_tenant_id(), r.id, 'Apply the control.', 'in_progress'
  FROM risks r WHERE r.status = 'assessed' ORDER BY r.id LIMIT 2000;
INSERT INTO risk_treatment_controls (tenant_id, treatment_id, control_id)
SELECT app_tenant_id(), t.id, c.id
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM risk_treatments) t
  JOIN bench_controls c ON c.n = t.n % (SELECT count(*) FROM bench_controls);
COMMIT;

SELECT to_char(clock_timestamp(), 'HH24:MI:SS') AS now \gset
\echo seed: :now 999 more tenants, each with an admin and 20 assets
DO $$
DECLARE
    v_user uuid;
BEGIN
    FOR i IN 1..999 LOOP
        PERFORM set_config('app.tenant_id', gen_random_uuid()::text, true);
        INSERT INTO tenants (id, slug, name)
        VALUES (app_tenant_id(), format('bench-%s', i), format('Bench tenant %s', i));
        INSERT INTO users (email) VALUES (format('admin%s@bench.example', i))
        RETURNING id INTO v_user;
        INSERT INTO memberships (tenant_id, user_id, role)
        VALUES (app_tenant_id(), v_user, 'admin');
        INSERT INTO assets (tenant_id, name, type)
        SELECT app_tenant_id(), format('Asset %s', g), 'information'
          FROM generate_series(1, 20) g;
    END LOOP;
END
$$;

