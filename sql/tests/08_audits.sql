-- Audits on the database side (0008): checklist generation from the
-- scope, the status table, the scope frozen at the start, the baseline
-- frozen at the start and never changed, the closing rule of clause 10.2
-- (a nonconformity closes with a corrective action verified as effective,
-- by someone other than its owner), a closed audit kept as it is, the
-- engagement scope of certification-body auditors, and tenant isolation.
BEGIN;
SELECT plan(54);
\ir fixture.psql

-- More people in A: an auditor (user 4, on audits only when named) and an
-- editor (user 5, who verifies).
INSERT INTO users (id, email, display_name) VALUES
    ('cccccccc-0000-4000-8000-000000000004', 'cb-auditor@example.test', 'CB Auditor'),
    ('cccccccc-0000-4000-8000-000000000005', 'editor@example.test', 'Editor Five');
INSERT INTO memberships (tenant_id, user_id, role, valid_from, valid_until) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000004', 'auditor',
     now() - interval '1 day', now() + interval '30 days');
INSERT INTO memberships (tenant_id, user_id, role) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'cccccccc-0000-4000-8000-000000000005', 'editor');

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001', 'req-audits');
SELECT set_config('app.role', 'admin', true);

-- What the baseline will freeze: one SoA decision, one piece of evidence.
INSERT INTO soa_entries (tenant_id, requirement_id, applicable, justification_reasons)
    VALUES ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022', 'A.5.1'),
            true, '{risk_treatment}');
INSERT INTO evidence (tenant_id, id, title, kind, url)
    VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e1',
            'Policy page', 'link', 'https://intranet.example/policy');

SET LOCAL ROLE isms_app;

-- Checklist generation -------------------------------------------------------

CREATE TEMP TABLE ids (name text PRIMARY KEY, id text);
GRANT ALL ON ids TO isms_app;
INSERT INTO ids SELECT 'full', (audit_save(NULL, '{"type": "stage2", "title": "Full"}', 0)).audit ->> 'id';

SELECT is((SELECT count(*) FROM audit_checklist_items WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          123::bigint, 'the default scope gives 123 items: 30 clauses and 93 Annex A controls');
SELECT results_eq(
    $$SELECT q.kind, count(*) FROM audit_checklist_items i JOIN requirements q ON q.id = i.requirement_id
       WHERE i.audit_id = (SELECT id::uuid FROM ids WHERE name = 'full') GROUP BY q.kind ORDER BY q.kind$$,
    $$VALUES ('clause'::text, 30::bigint), ('control', 93)$$,
    'leaf clauses 4.1 to 10.2 (not 4, 6.1, 9.2 ...) and every Annex A control');
SELECT is((SELECT array_agg(q.ref ORDER BY i.sort_order) FROM audit_checklist_items i
             JOIN requirements q ON q.id = i.requirement_id
            WHERE i.audit_id = (SELECT id::uuid FROM ids WHERE name = 'full') AND q.kind = 'clause'
              AND q.ref LIKE '9%'),
          '{9.1,9.2.1,9.2.2,9.3.1,9.3.2,9.3.3}'::text[], 'items follow the catalog order');

INSERT INTO ids SELECT 'part', (audit_save(NULL, jsonb_build_object('type', 'internal', 'title', 'Part',
    'scope_clauses', '["9", "4.1", "9.2"]'::jsonb,
    'scope_controls', jsonb_build_array('A.8', 'A.5.1', catalog_id('iso27001-2022', 'A.6.3'))), 0)).audit ->> 'id';
SELECT is((SELECT count(*) FROM audit_checklist_items WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'part')),
          43::bigint, '9 (6 leaves) + 4.1, theme A.8 (34) + A.5.1 + A.6.3 by id: 43 items');
SELECT is((SELECT scope_controls FROM audits WHERE id = (SELECT id::uuid FROM ids WHERE name = 'part')),
          '{A.8,A.5.1,A.6.3}'::text[], 'a requirement id in the scope is stored as its reference');
SELECT is((SELECT problems FROM audit_save(NULL,
              '{"type": "internal", "title": "x", "scope_clauses": ["4", "11"],
                "scope_controls": ["A.9", "5.1", "A.5.1"]}', 0)),
          '[{"field": "scope_clauses[1]", "message": "must be ''all'' or a clause of ISO/IEC 27001:2022 from 4 to 10.2"},
            {"field": "scope_controls[0]", "message": "must be an Annex A control (A.5.1 to A.8.34) or theme (A.5 to A.8) of ISO/IEC 27001:2022, by reference or requirement id"},
            {"field": "scope_controls[1]", "message": "must be an Annex A control (A.5.1 to A.8.34) or theme (A.5 to A.8) of ISO/IEC 27001:2022, by reference or requirement id"}]'::jsonb,
          'unknown clauses and controls are named, one problem each');

-- Notes written while planned survive a scope change that keeps the item.
UPDATE audit_checklist_items SET notes = 'interview the CISO'
 WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')
   AND requirement_id = catalog_id('iso27001-2022', 'A.6.3');
INSERT INTO ids SELECT 'item_a63', id FROM audit_checklist_items
 WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')
   AND requirement_id = catalog_id('iso27001-2022', 'A.6.3');
SELECT is((SELECT outcome FROM audit_save((SELECT id::uuid FROM ids WHERE name = 'full'),
              '{"scope_clauses": [], "scope_controls": ["A.6"]}', 0)),
          'ok', 'the scope of a planned audit changes');
SELECT is((SELECT count(*) FROM audit_checklist_items WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          8::bigint, 'the checklist follows: the 8 people controls, no clause');
SELECT is((SELECT notes FROM audit_checklist_items WHERE id = (SELECT id::uuid FROM ids WHERE name = 'item_a63')),
          'interview the CISO', 'an item that stays in scope keeps what was written on it');
SELECT throws_ok(
    $$UPDATE audit_checklist_items SET result = 'conforming' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'item_a63')$$,
    'IS409', 'Results are recorded once the audit has started (status in_progress).',
    'no result before the audit starts');

-- Team and scope stay inside the tenant ----------------------------------------

SELECT is((SELECT problems FROM audit_save((SELECT id::uuid FROM ids WHERE name = 'full'),
              '{"lead_auditor_id": "cccccccc-0000-4000-8000-000000000003",
                "team_member_ids": ["cccccccc-0000-4000-8000-000000000002", "dddddddd-0000-4000-8000-000000000009"],
                "scope_asset_ids": ["bbbbbbbb-0000-4000-8000-0000000000b1"]}', 0)),
          '[{"field": "lead_auditor_id", "message": "must be a member of this tenant"},
            {"field": "team_member_ids[1]", "message": "must be a member of this tenant"},
            {"field": "scope_asset_ids[0]", "message": "must be an asset of this tenant"}]'::jsonb,
          'another tenant''s user and asset are named and nothing is written');
SELECT throws_ok(
    $$INSERT INTO audit_assets (tenant_id, audit_id, asset_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', (SELECT id::uuid FROM ids WHERE name = 'full'),
              'bbbbbbbb-0000-4000-8000-0000000000b1')$$,
    '23503', NULL, 'the database itself refuses another tenant''s asset in the scope');
SELECT throws_ok(
    $$INSERT INTO audit_team (tenant_id, audit_id, user_id, role)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', (SELECT id::uuid FROM ids WHERE name = 'full'),
              'cccccccc-0000-4000-8000-000000000003', 'member')$$,
    'IS422', 'An audit team member must be a member of this tenant.',
    'and another tenant''s user on the team');
SELECT is((SELECT problems FROM audit_save((SELECT id::uuid FROM ids WHERE name = 'full'),
              '{"lead_auditor_id": "cccccccc-0000-4000-8000-000000000001",
                "team_member_ids": ["cccccccc-0000-4000-8000-000000000001"]}', 0)),
          '[{"field": "team_member_ids[0]", "message": "is the lead auditor (lead_auditor_id)"}]'::jsonb,
          'the lead is not also a member');

-- Status table -------------------------------------------------------------------

SELECT throws_ok(
    $$UPDATE audits SET status = 'reporting' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    'IS409', 'An audit cannot change from planned to reporting; from planned it can change to: in_progress, closed.',
    'planned -> reporting is refused with the allowed statuses');
SELECT throws_ok(
    $$UPDATE audits SET status = 'in_progress' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    'IS409', 'An audit needs a lead auditor (lead_auditor_id) before it starts.',
    'an audit does not start without a lead auditor');
SELECT is((SELECT audit -> 'lead_auditor_id' FROM audit_save((SELECT id::uuid FROM ids WHERE name = 'full'),
              '{"lead_auditor_id": "cccccccc-0000-4000-8000-000000000001",
                "scope_asset_ids": ["aaaaaaaa-0000-4000-8000-0000000000a1"]}', 0)),
          '"cccccccc-0000-4000-8000-000000000001"'::jsonb, 'the lead is named');
SELECT is((SELECT audit ->> 'status' FROM audit_save((SELECT id::uuid FROM ids WHERE name = 'full'),
              '{"status": "in_progress"}', 0)),
          'in_progress', 'planned -> in_progress');
SELECT ok((SELECT actual_start = current_date AND status_changed_at = now() FROM audits
            WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          'starting dates the audit');

-- The baseline ---------------------------------------------------------------------

SELECT ok((SELECT jsonb_array_length(soa) = 93 AND jsonb_array_length(evidence) = 1
                  AND taken_by = 'cccccccc-0000-4000-8000-000000000001'
             FROM audit_baselines WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          'starting froze the SoA (93 controls) and the evidence list, with who did it');
SELECT is((SELECT x ->> 'applicability' FROM audit_baselines b, jsonb_array_elements(b.soa) x
            WHERE b.audit_id = (SELECT id::uuid FROM ids WHERE name = 'full') AND x ->> 'ref' = 'A.5.1'),
          'included', 'the SoA decision as it was');
CREATE TEMP TABLE frozen AS
    SELECT b.digest FROM audit_baselines b WHERE b.audit_id = (SELECT id::uuid FROM ids WHERE name = 'full');

-- Later edits do not reach it.
UPDATE soa_entries SET applicable = false, justification_reasons = '{}',
                       exclusion_justification = 'no longer relevant'
 WHERE requirement_id = catalog_id('iso27001-2022', 'A.5.1');
UPDATE evidence SET title = 'Renamed' WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000e1';
SELECT ok((SELECT (SELECT x ->> 'applicability' FROM jsonb_array_elements(b.soa) x
                    WHERE x ->> 'ref' = 'A.5.1') = 'included'
                  AND b.evidence -> 0 ->> 'title' = 'Policy page'
                  AND b.digest = (SELECT digest FROM frozen)
                  AND (audit_baseline_json(b) ->> 'intact')::boolean
             FROM audit_baselines b WHERE b.audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          'edits of the SoA and the evidence after the start leave the baseline and its digest as they were');
SELECT is(audit_baseline_take('aaaaaaaa-0000-4000-8000-000000000000', (SELECT id::uuid FROM ids WHERE name = 'full')),
          false, 'a second baseline is not taken');
SELECT throws_ok(
    $$UPDATE audit_baselines SET risks = '[]' WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    '42501', NULL, 'the service role may not update a baseline');
SELECT throws_ok(
    $$DELETE FROM audit_baselines WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    '42501', NULL, 'nor delete one');
SELECT is((SELECT after ->> 'digest' FROM activity_log
            WHERE entity = 'audit_baselines' AND entity_id = (SELECT id::uuid FROM ids WHERE name = 'full')::text),
          (SELECT encode(digest, 'hex') FROM audit_baselines
            WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          'the activity log recorded the baseline''s digest');

-- The scope is fixed once started ---------------------------------------------

SELECT throws_ok(
    $$SELECT audit_save((SELECT id::uuid FROM ids WHERE name = 'full'), '{"scope_controls": ["A.7"]}', 0)$$,
    'IS409', 'The scope of an audit is fixed once it has started.', 'clauses and controls');
SELECT throws_ok(
    $$DELETE FROM audit_assets WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    'IS409', 'The scope of an audit is fixed once it has started.', 'and assets');
SELECT throws_ok(
    $$DELETE FROM audits WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    'IS409', 'Only a planned audit can be deleted; this one is in_progress. Close it instead.',
    'a started audit is not deleted');

-- Findings and the closing rule (10.2) --------------------------------------------

UPDATE audit_checklist_items SET result = 'major_nc' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'item_a63');
SELECT ok((SELECT audited_by = 'cccccccc-0000-4000-8000-000000000001' AND audited_at IS NOT NULL
             FROM audit_checklist_items WHERE id = (SELECT id::uuid FROM ids WHERE name = 'item_a63')),
          'a result is stamped with who recorded it and when');
INSERT INTO ids SELECT 'nc', (finding_save((SELECT id::uuid FROM ids WHERE name = 'full'), NULL,
    jsonb_build_object('grade', 'major_nc', 'title', 'No awareness training',
                       'checklist_item_id', (SELECT id::uuid FROM ids WHERE name = 'item_a63'),
                       'evidence_ids', '["aaaaaaaa-0000-4000-8000-0000000000e1"]'::jsonb), 0)).finding ->> 'id';
SELECT is((SELECT requirement_id FROM findings WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc')),
          catalog_id('iso27001-2022', 'A.6.3'), 'a finding on an item takes the item''s requirement');
SELECT throws_ok(
    $$UPDATE findings SET status = 'closed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc')$$,
    'IS409', 'A nonconformity closes only when one of its corrective actions has been verified as effective.',
    'a nonconformity does not close without a corrective action');
INSERT INTO ids SELECT 'ca', (corrective_action_save((SELECT id::uuid FROM ids WHERE name = 'nc'), NULL,
    '{"action": "Run the training", "owner_id": "cccccccc-0000-4000-8000-000000000001"}', 0))
    .corrective_action ->> 'id';
SELECT throws_ok(
    $$UPDATE findings SET status = 'closed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc')$$,
    'IS409', NULL, 'nor with one that is not verified');
SELECT throws_ok(
    $$UPDATE corrective_actions SET verification_result = 'effective' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'ca')$$,
    'IS409', 'A corrective action''s effectiveness is verified once it is done (status done).',
    'an action is verified once it is done');
UPDATE corrective_actions SET status = 'done' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'ca');
SELECT throws_ok(
    $$UPDATE corrective_actions SET verification_result = 'effective' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'ca')$$,
    'IS403', 'The owner of a corrective action cannot verify its effectiveness; another member must.',
    'its owner does not verify it');
SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000005', 'req-verify');
UPDATE corrective_actions SET verification_result = 'not_effective', verified_by = 'cccccccc-0000-4000-8000-000000000001'
 WHERE id = (SELECT id::uuid FROM ids WHERE name = 'ca');
SELECT is((SELECT verified_by FROM corrective_actions WHERE id = (SELECT id::uuid FROM ids WHERE name = 'ca')),
          'cccccccc-0000-4000-8000-000000000005'::uuid, 'the verifier is the acting user, whatever was sent');
SELECT throws_ok(
    $$UPDATE corrective_actions SET verification_result = 'effective' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'ca')$$,
    'IS409', 'A verified corrective action is final; record a new one.', 'a verification is final');
SELECT throws_ok(
    $$UPDATE findings SET status = 'closed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc')$$,
    'IS409', NULL, 'an action found not effective does not close the nonconformity');
INSERT INTO corrective_actions (tenant_id, audit_id, finding_id, action, owner_id, status, verification_result)
SELECT 'aaaaaaaa-0000-4000-8000-000000000000', (SELECT id::uuid FROM ids WHERE name = 'full'),
       (SELECT id::uuid FROM ids WHERE name = 'nc'), 'Mandatory training with tracking',
       'cccccccc-0000-4000-8000-000000000001', 'done', 'effective';

-- Closing the audit -------------------------------------------------------------------

UPDATE audits SET status = 'reporting' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full');
SELECT throws_ok(
    $$UPDATE audits SET status = 'closed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    'IS409', '1 nonconformity of this audit is still open; each closes with a corrective action verified as effective.',
    'an audit with an open nonconformity does not close');
UPDATE findings SET status = 'closed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc');
SELECT ok((SELECT closed_at IS NOT NULL FROM findings WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc')),
          'a verified effective action closes the nonconformity');
UPDATE audits SET status = 'closed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full');
SELECT is((SELECT status || '/' || cancelled FROM audits WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')),
          'closed/false', 'and then the audit closes');
SELECT throws_ok(
    $$UPDATE audits SET title = 'changed' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'full')$$,
    'IS409', 'A closed audit cannot change.', 'a closed audit is final');
SELECT throws_ok(
    $$UPDATE findings SET status = 'open' WHERE id = (SELECT id::uuid FROM ids WHERE name = 'nc')$$,
    'IS409', NULL, 'its nonconformities stay closed');
SELECT throws_ok(
    $$SELECT finding_save((SELECT id::uuid FROM ids WHERE name = 'full'), NULL, '{"grade": "ofi", "title": "late"}', 0)$$,
    'IS409', 'Findings are raised while the audit is in progress or reporting; this one is closed.',
    'and it takes no new findings');

-- Cancelling and deleting planned audits ---------------------------------------------

SELECT is((SELECT audit ->> 'cancelled' FROM audit_save((SELECT id::uuid FROM ids WHERE name = 'part'),
              '{"status": "closed"}', 0)),
          'true', 'planned -> closed is a cancellation');
INSERT INTO ids SELECT 'gone', (audit_save(NULL, '{"type": "supplier", "title": "Gone"}', 0)).audit ->> 'id';
DELETE FROM audits WHERE id = (SELECT id::uuid FROM ids WHERE name = 'gone');
SELECT is((SELECT count(*) FROM audit_checklist_items WHERE audit_id = (SELECT id::uuid FROM ids WHERE name = 'gone')),
          0::bigint, 'a planned audit is deleted with its checklist');

-- The engagement scope of certification-body auditors ---------------------------------

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001', 'req-team');
INSERT INTO ids SELECT 'engaged', (audit_save(NULL, '{"type": "surveillance", "title": "CB",
    "team_member_ids": ["cccccccc-0000-4000-8000-000000000004"]}', 0)).audit ->> 'id';
SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000004', 'req-auditor');
SELECT set_config('app.role', 'auditor', true);
SELECT results_eq($$SELECT title FROM audits$$, $$VALUES ('CB'::text)$$,
                  'an auditor sees only the audits it is on');
SELECT ok((SELECT count(*) = 123 AND bool_and(audit_id = (SELECT id::uuid FROM ids WHERE name = 'engaged'))
             FROM audit_checklist_items),
          'and only their checklists');
SELECT ok(NOT EXISTS (SELECT 1 FROM audit_baselines) AND NOT EXISTS (SELECT 1 FROM findings)
          AND NOT EXISTS (SELECT 1 FROM corrective_actions),
          'and not the baselines, findings or actions of the others');
SELECT set_config('app.role', 'viewer', true);
SELECT is((SELECT count(*) FROM audits), 3::bigint, 'other roles see every audit');

-- Other tenants ---------------------------------------------------------------------

SELECT pg_temp.act_as('bbbbbbbb-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000003', 'req-b');
SELECT set_config('app.role', 'admin', true);
SELECT ok(NOT EXISTS (SELECT 1 FROM audits) AND NOT EXISTS (SELECT 1 FROM audit_checklist_items)
          AND NOT EXISTS (SELECT 1 FROM audit_baselines) AND NOT EXISTS (SELECT 1 FROM findings),
          'tenant B sees none of A''s audits, items, baselines or findings');

-- Even the owner cannot change a baseline --------------------------------------------

RESET ROLE;
SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000');
SELECT throws_ok(
    $$UPDATE audit_baselines SET risks = '[]'$$,
    'IS409', 'An audit baseline is frozen: it cannot be changed or removed.',
    'a baseline refuses UPDATE for every role');
SELECT throws_ok($$TRUNCATE audit_baselines$$, 'IS409', NULL, 'and TRUNCATE');
SELECT is((SELECT ok FROM activity_verify()), true,
          'every change above is in A''s intact activity chain');

SELECT * FROM finish();
ROLLBACK;
