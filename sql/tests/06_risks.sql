-- The risk register's rules as the database enforces them, whoever writes:
-- every tenant has a matrix, the global catalog is read-only, links never
-- cross tenants (tenant-inclusive foreign keys, the catalog link check),
-- scores and levels follow the tenant's matrix and a matrix change
-- re-evaluates every risk, statuses move only along the documented
-- transitions, acceptances need four eyes and are final, and an expired
-- acceptance returns the risk to assessed.
BEGIN;
SELECT plan(45);
\ir fixture.psql

-- A threat of B's own, and a risk of B over B's asset (as postgres).
INSERT INTO risk_catalog (id, tenant_id, kind, category, name) VALUES
    ('bbbbbbbb-0000-4000-8000-0000000000c1', 'bbbbbbbb-0000-4000-8000-000000000000',
     'threat', 'unauthorized_actions', 'B''s own threat');

-- Every tenant has a matrix ------------------------------------------------

SELECT results_eq(
    $$SELECT tenant_id, jsonb_array_length(likelihood_levels), jsonb_array_length(impact_levels),
             acceptance_threshold
        FROM risk_matrices
       WHERE tenant_id IN ('aaaaaaaa-0000-4000-8000-000000000000',
                           'bbbbbbbb-0000-4000-8000-000000000000')
       ORDER BY tenant_id$$,
    $$VALUES ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, 5, 5, 'Medium'),
             ('bbbbbbbb-0000-4000-8000-000000000000'::uuid, 5, 5, 'Medium')$$,
    'a new tenant gets the default 5 x 5 matrix');
SELECT is((SELECT grid FROM risk_matrices WHERE tenant_id = 'aaaaaaaa-0000-4000-8000-000000000000'),
          risk_matrix_default() -> 'grid', 'with the default grid');

-- In tenant A, as the service -------------------------------------------------

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001', 'req-risks');
SELECT set_config('app.role', 'admin', true);
SET LOCAL ROLE isms_app;

SELECT ok((SELECT count(*) FROM risk_catalog WHERE tenant_id IS NULL AND kind = 'threat') >= 30,
          'the global catalog holds at least 30 threats');
SELECT ok((SELECT count(*) FROM risk_catalog WHERE tenant_id IS NULL AND kind = 'vulnerability') >= 30,
          'and at least 30 vulnerabilities');
SELECT is_empty($$SELECT 1 FROM risk_catalog WHERE tenant_id IS NOT NULL$$,
    'A sees no tenant''s catalog entries but its own (none yet)');
SELECT is_empty($$UPDATE risk_catalog SET name = 'renamed' WHERE tenant_id IS NULL RETURNING id$$,
    'global entries cannot be changed');
SELECT is_empty($$DELETE FROM risk_catalog WHERE tenant_id IS NULL RETURNING id$$,
    'global entries cannot be deleted');
SELECT throws_ok(
    $$INSERT INTO risk_catalog (tenant_id, kind, category, name)
      VALUES (NULL, 'threat', 'natural_events', 'planted')$$,
    '42501', NULL, 'a global entry cannot be added');
SELECT throws_ok(
    $$INSERT INTO risk_catalog (tenant_id, kind, category, name)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'threat', 'software', 'wrong category')$$,
    '23514', NULL, 'a threat takes a threat category');
SELECT lives_ok(
    $$INSERT INTO risk_catalog (id, tenant_id, kind, category, name)
      VALUES ('aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000000',
              'vulnerability', 'site', 'A''s own vulnerability')$$,
    'A adds a vulnerability of its own');

-- A risk, evaluated on the default matrix.
INSERT INTO risks (tenant_id, id, title, inherent_likelihood, inherent_impact,
                   current_likelihood, current_impact, status)
     VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1',
             'Laptop theft', 4, 5, 3, 4, 'assessed');
SELECT results_eq(
    $$SELECT inherent_score::int, inherent_level, current_score::int, current_level,
             above_appetite, next_review = current_date + 90
        FROM risks WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    $$VALUES (20, 'Very high', 12, 'High', true, true)$$,
    'score = likelihood x impact, level from the grid, appetite and review from the level');

SELECT lives_ok(
    $$INSERT INTO risk_assets (tenant_id, risk_id, asset_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1',
              'aaaaaaaa-0000-4000-8000-0000000000a1')$$,
    'a risk links an asset of its tenant');
SELECT throws_ok(
    $$INSERT INTO risk_assets (tenant_id, risk_id, asset_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1',
              'bbbbbbbb-0000-4000-8000-0000000000b1')$$,
    '23503', NULL, 'the tenant-inclusive foreign key refuses B''s asset');
SELECT throws_ok(
    $$INSERT INTO risk_threats (tenant_id, risk_id, threat_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1',
              'bbbbbbbb-0000-4000-8000-0000000000c1')$$,
    '23503', NULL, 'a risk cannot name B''s threat');
SELECT throws_ok(
    $$INSERT INTO risk_threats (tenant_id, risk_id, threat_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1',
              'aaaaaaaa-0000-4000-8000-0000000000c1')$$,
    '23503', NULL, 'nor a vulnerability as a threat');
SELECT lives_ok(
    $$INSERT INTO risk_vulnerabilities (tenant_id, risk_id, vulnerability_id)
      SELECT 'aaaaaaaa-0000-4000-8000-000000000000'::uuid,
             'aaaaaaaa-0000-4000-8000-0000000000f1'::uuid, id
        FROM risk_catalog WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000c1'
      UNION ALL
      SELECT 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000f1', id
        FROM risk_catalog WHERE tenant_id IS NULL AND kind = 'vulnerability'
                            AND name = 'Unprotected storage'$$,
    'it names its own and global vulnerabilities');
SELECT throws_ok(
    $$DELETE FROM assets WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000a1'$$,
    '23503', NULL, 'an asset that a risk uses cannot be deleted');

-- Statuses.
SELECT throws_ok(
    $$UPDATE risks SET status = 'treated' WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    'IS409', 'A risk cannot change from assessed to treated.',
    'a transition outside the table is refused');
SELECT throws_ok(
    $$UPDATE risks SET status = 'accepted', acceptance_expires_at = now() + interval '1 day'
       WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    'IS409', NULL, 'accepted needs an approved acceptance');
SELECT throws_ok(
    $$UPDATE risks SET current_likelihood = NULL, current_impact = NULL
       WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    '23514', NULL, 'an assessed risk keeps its current assessment');
SELECT throws_ok(
    $$UPDATE risks SET current_likelihood = 6 WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    'IS422', NULL, 'a likelihood outside the matrix is refused');
SELECT is(risk_transition_allowed('closed', 'assessed'), false, 'closed is final');
SELECT is(risk_transitions_from('assessed'), 'treatment_planned, accepted, closed',
          'assessed may become treatment_planned, accepted or closed');

-- The matrix changes: a 4 x 3 matrix with three levels.
CREATE TEMP TABLE put_result AS
SELECT * FROM risk_matrix_put('{
  "likelihood_levels": [{"name": "L1"}, {"name": "L2"}, {"name": "L3"}, {"name": "L4"}],
  "impact_levels": [{"name": "I1"}, {"name": "I2"}, {"name": "I3"}, {"name": "I4"}, {"name": "I5"}],
  "risk_levels": [{"name": "Green", "colour": "#00FF00", "rank": 1, "review_interval_days": 400},
                  {"name": "Amber", "colour": "#ffbf00", "rank": 2, "review_interval_days": 60},
                  {"name": "Red", "colour": "#ff0000", "rank": 3, "review_interval_days": 7}],
  "grid": [["Green", "Green", "Green", "Green", "Amber"],
           ["Green", "Green", "Amber", "Amber", "Red"],
           ["Green", "Amber", "Amber", "Red", "Red"],
           ["Amber", "Amber", "Red", "Red", "Red"]],
  "acceptance_threshold": "Amber"}', 0);
SELECT results_eq($$SELECT outcome, risks_reevaluated FROM put_result$$,
    $$VALUES ('ok', 1)$$, 'a matrix change re-evaluates the risks it changes');
SELECT results_eq(
    $$SELECT inherent_level, current_level, above_appetite, next_review = current_date + 7, version
        FROM risks WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    $$VALUES ('Red', 'Red', true, true, 2)$$,
    'in the same transaction: new levels, appetite and review date');
SELECT is((SELECT matrix -> 'risk_levels' -> 0 ->> 'colour' FROM put_result), '#00ff00',
          'colours are stored in lower case');
SELECT is((SELECT count(*) FROM activity_log WHERE entity = 'risks' AND action = 'update'
              AND after ->> 'current_level' = 'Red'), 1::bigint,
          'the re-evaluation is in the activity log');

CREATE TEMP TABLE orphan_result AS
SELECT * FROM risk_matrix_put('{
  "likelihood_levels": [{"name": "L1"}, {"name": "L2"}, {"name": "L3"}],
  "impact_levels": [{"name": "I1"}, {"name": "I2"}, {"name": "I3"}],
  "risk_levels": [{"name": "Low", "colour": "#00ff00", "rank": 1, "review_interval_days": 30},
                  {"name": "High", "colour": "#ff0000", "rank": 2, "review_interval_days": 30}],
  "grid": [["Low", "Low", "Low"], ["Low", "Low", "High"], ["Low", "High", "High"]],
  "acceptance_threshold": "Low"}', 0);
SELECT results_eq(
    $$SELECT outcome, jsonb_array_length(problems),
             problems -> 0 ->> 'field', problems -> 1 ->> 'field'
        FROM orphan_result$$,
    $$VALUES ('invalid', 2, 'likelihood_levels', 'impact_levels')$$,
    'a matrix that drops values in use is refused, naming the risks');
SELECT is((SELECT jsonb_array_length(likelihood_levels) FROM risk_matrices), 4,
          'and leaves the matrix as it was');
SELECT throws_ok(
    $$INSERT INTO risk_matrices (tenant_id, likelihood_levels, impact_levels, risk_levels, grid,
                                 acceptance_threshold)
      SELECT tenant_id, likelihood_levels, impact_levels, risk_levels, grid, acceptance_threshold
        FROM risk_matrices$$,
    '42501', NULL, 'the service cannot add a matrix');

-- Acceptance: four eyes, final, expiring.
UPDATE risks SET status = 'treatment_planned', treatment = 'retain',
                 residual_likelihood = 1, residual_impact = 1
 WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
UPDATE risks SET status = 'treated' WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
SELECT is((SELECT outcome FROM risk_acceptance_request('aaaaaaaa-0000-4000-8000-0000000000f1',
                                                       'Residual risk is tolerable.')),
          'created', 'a treated risk''s acceptance is requested');
SELECT is((SELECT outcome FROM risk_acceptance_decide('aaaaaaaa-0000-4000-8000-0000000000f1',
                                                      'approved', 'Fine.',
                                                      now() + interval '30 days')),
          'forbidden', 'the requester cannot decide');
SELECT throws_ok(
    $$UPDATE risk_acceptances SET decision = 'approved', decided_by = requested_by,
             decided_at = now(), decision_justification = 'me',
             expires_at = now() + interval '1 day'$$,
    '23514', NULL, 'the database refuses the requester as decider too');
SELECT throws_ok(
    $$UPDATE risk_acceptances SET justification = 'rewritten'$$,
    '42501', NULL, 'a request''s justification cannot be rewritten');
SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000002', 'req-decide');
SELECT set_config('app.role', 'editor', true);
SELECT throws_ok(
    $$UPDATE risk_acceptances SET decision = 'rejected', decided_by = app_user_id(),
             decided_at = now(), decision_justification = 'no'$$,
    'IS403', NULL, 'only an admin decides');
SELECT set_config('app.role', 'admin', true);
SELECT results_eq(
    $$SELECT outcome, acceptance ->> 'state'
        FROM risk_acceptance_decide('aaaaaaaa-0000-4000-8000-0000000000f1', 'approved',
                                    'Within appetite after treatment.',
                                    now() + interval '3 days')$$,
    $$VALUES ('ok', 'approved')$$, 'another admin approves');
SELECT results_eq(
    $$SELECT status, next_review = (now() + interval '3 days')::date
        FROM risks WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    $$VALUES ('accepted', true)$$,
    'the risk is accepted, due for review when the acceptance expires (before its level''s 7 days)');
SELECT throws_ok(
    $$UPDATE risk_acceptances SET decision = 'rejected'$$,
    'IS409', NULL, 'a decision is final');
RESET ROLE;

-- The acceptance expired (moved into the past by hand, as an operator).
ALTER TABLE risk_acceptances DISABLE TRIGGER final;
UPDATE risk_acceptances SET requested_at = now() - interval '40 days',
                            decided_at = now() - interval '35 days',
                            expires_at = now() - interval '5 days'
 WHERE risk_id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
ALTER TABLE risk_acceptances ENABLE TRIGGER final;
UPDATE risks SET acceptance_expires_at = now() - interval '5 days',
                 last_reviewed_on = current_date - 40
 WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1';

SET LOCAL ROLE isms_app;
SELECT results_eq(
    $$SELECT status, risk_status(r), next_review < current_date FROM risks r
       WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'$$,
    $$VALUES ('accepted', 'assessed', true)$$,
    'a reader sees an expired acceptance''s risk as assessed and overdue for review');
SELECT is(risks_expire_acceptances(), 1, 'the next write persists the expiry');
SELECT is((SELECT status FROM risks WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000f1'),
          'assessed', 'the risk is assessed again');
SELECT is((SELECT after ->> 'status' FROM activity_log
            WHERE entity = 'risks' AND entity_id = 'aaaaaaaa-0000-4000-8000-0000000000f1'
            ORDER BY seq DESC LIMIT 1), 'assessed',
          'and the activity log says so');
RESET ROLE;

-- One statement changing several risks (as a matrix change does): one
-- entry per risk, and the chain still verifies.
SET LOCAL ROLE isms_app;
INSERT INTO risks (tenant_id, title) VALUES (app_tenant_id(), 'A second risk');
SELECT coalesce(max(seq), 0) AS bulk_seq FROM activity_log \gset
UPDATE risks SET category = 'bulk' WHERE status <> 'closed';
SELECT is((SELECT count(*) FROM activity_log
            WHERE entity = 'risks' AND action = 'update' AND after ->> 'category' = 'bulk'
              AND seq > :bulk_seq),
          (SELECT greatest(count(*), 2) FROM risks WHERE status <> 'closed'),
          'a statement updating several risks records one entry per risk');
SELECT ok((SELECT ok FROM activity_verify()), 'and the chain verifies');

-- The heat map's kept counts (0011) equal a count of the risks, after
-- every insert, update and close above.
SELECT set_eq(
    $$SELECT stage, likelihood, impact, n FROM risk_heat_counts WHERE n <> 0$$,
    $$SELECT s.stage, coalesce(s.l, 0)::smallint AS l, coalesce(s.i, 0)::smallint AS i, count(*)
        FROM risks r
       CROSS JOIN LATERAL (VALUES ('inherent', r.inherent_likelihood, r.inherent_impact),
                                  ('current', r.current_likelihood, r.current_impact),
                                  ('residual', r.residual_likelihood, r.residual_impact))
             s(stage, l, i)
       WHERE r.status <> 'closed' GROUP BY 1, 2, 3$$,
    'the heat map counts equal a count of the risks');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
