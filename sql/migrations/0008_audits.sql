-- 0008_audits: internal and certification audits (ISO/IEC 27001:2022
-- clause 9.2 and the certification cycle of ISO/IEC 17021-1), their
-- checklists, findings and corrective actions (clause 10.2), the frozen
-- baseline an audit works from, and the read side of the activity log.
--
-- Owns: audits, audit_team, audit_assets, audit_checklist_items,
-- audit_item_evidence, findings, finding_evidence, corrective_actions,
-- audit_baselines, audit_engagements; the functions the audits service
-- calls; the certification-body auditor's engagement scope (a restrictive
-- policy on every table here, through audit_engagements); an index on
-- activity_log for the actor filter.
--
-- Rules kept here rather than in the service, so that every writer obeys
-- them (a handler cannot bypass a trigger):
--   * Status of an audit: planned -> in_progress -> reporting -> closed,
--     and planned -> closed (a cancelled audit: `cancelled` is true).
--     Nothing else; a closed audit is final. Starting needs a lead
--     auditor and freezes the baseline (SoA, risk register, evidence) in
--     the same transaction when none was taken before. Closing needs
--     every major and minor nonconformity of the audit closed.
--   * The scope (clauses, Annex A controls, assets) is fixed once the
--     audit has started. While it is planned, a change of the clause or
--     control scope regenerates the checklist: items of requirements
--     still in scope are kept with what was written on them.
--   * A nonconformity (major_nc, minor_nc) closes only when one of its
--     corrective actions has been verified as effective. Verification is
--     done by someone other than the action's owner, once the action is
--     done, and is final: a corrective action found not effective is
--     followed by a new one.
--   * Findings are raised while the audit is in progress or reporting.
--     Checklist results are recorded once the audit has started.
--   * A baseline is never changed or removed (no UPDATE or DELETE grant,
--     and a trigger refuses both for every role). Its digest is SHA-256
--     of its content and is recorded in the activity log when it is
--     taken.
--
-- Checklist generation. The catalog is the seeded ISO/IEC 27001:2022
-- framework of 0007 (catalog_id('iso27001-2022')). An audit gets one item
-- per leaf clause requirement (4.1 ... 10.2: the 30 clauses without
-- sub-clauses) in its clause scope and one per Annex A control (A.5.1 ...
-- A.8.34, 93 in all) in its control scope.
--   scope_clauses: clause references ('4', '5.2', '9.2', '10.2'); a
--     reference covers itself and its sub-clauses ('9' covers 9.1, 9.2.1,
--     9.2.2, 9.3.1-9.3.3). 'all' covers every clause; [] covers none. The
--     default is ['all'].
--   scope_controls: Annex A controls ('A.5.15') or themes ('A.8', all its
--     controls), given as references or as requirement ids; stored as
--     references. [] (the default) means all 93 controls.
--
-- Certification-body auditors (role auditor) see only the audits whose
-- team they are on, as lead or member, and only those audits' checklists,
-- findings, corrective actions and baselines: the policy `engagement`
-- below, restrictive and for the service role only, so that every query
-- of every handler is held to it. Other roles see every audit of the
-- tenant.

-- Timestamps inside JSON built here, as the services write them.
CREATE FUNCTION audit_ts(p timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- ---------------------------------------------------------------------------
-- Audits.

CREATE TABLE audits (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    type               text NOT NULL
                       CHECK (type IN ('internal', 'stage1', 'stage2', 'surveillance',
                                       'recertification', 'supplier')),
    title              text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description        text CHECK (char_length(description) BETWEEN 1 AND 10000),
    scope_clauses      text[] NOT NULL DEFAULT '{all}'
                       CHECK (cardinality(scope_clauses) <= 50
                              AND array_position(scope_clauses, NULL) IS NULL),
    scope_controls     text[] NOT NULL DEFAULT '{}'
                       CHECK (cardinality(scope_controls) <= 200
                              AND array_position(scope_controls, NULL) IS NULL),
    planned_start      date,
    planned_end        date,
    actual_start       date,
    actual_end         date,
    -- The latest date the audit may take place (the certification cycle's
    -- deadlines; see audit_programme()).
    due_by             date,
    status             text NOT NULL DEFAULT 'planned'
                       CHECK (status IN ('planned', 'in_progress', 'reporting', 'closed')),
    status_changed_at  timestamptz NOT NULL DEFAULT now(),
    -- Closed straight from planned.
    cancelled          boolean NOT NULL DEFAULT false,
    -- Audits proposed together by POST /api/v1/audits/programme.
    cycle_id           uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    created_by         uuid,
    updated_by         uuid,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT audits_planned_dates CHECK (planned_end >= planned_start),
    CONSTRAINT audits_actual_dates CHECK (actual_end >= actual_start),
    CHECK (NOT cancelled OR status = 'closed')
);

CREATE INDEX audits_page_idx ON audits (tenant_id, created_at, id);
CREATE INDEX audits_cycle_idx ON audits (tenant_id, cycle_id) WHERE cycle_id IS NOT NULL;

CALL tenant_table_setup('audits');
GRANT SELECT, INSERT, UPDATE, DELETE ON audits TO isms_app;

-- The audit team: one lead auditor and members, certification-body
-- auditors (role auditor) included. A user is checked to be a member of
-- the tenant when assigned (audit_team_member_check); the row points at
-- the global identity, so an audit keeps its team after an engagement's
-- membership is removed.
CREATE TABLE audit_team (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    audit_id    uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    role        text NOT NULL CHECK (role IN ('lead', 'member')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    updated_by  uuid,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, audit_id, user_id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX audit_team_lead_key ON audit_team (tenant_id, audit_id) WHERE role = 'lead';

CALL tenant_table_setup('audit_team', 'audit_id');
GRANT SELECT, INSERT, UPDATE, DELETE ON audit_team TO isms_app;

-- Assets in scope. Tenant-inclusive: the database refuses another
-- tenant's asset; an asset in an audit's scope cannot be purged.
CREATE TABLE audit_assets (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    audit_id    uuid NOT NULL,
    asset_id    uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    updated_by  uuid,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, audit_id, asset_id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT audit_assets_asset_fkey FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id) ON DELETE RESTRICT
);

CREATE INDEX audit_assets_asset_idx ON audit_assets (tenant_id, asset_id);

CALL tenant_table_setup('audit_assets', 'audit_id');
GRANT SELECT, INSERT, DELETE ON audit_assets TO isms_app;

-- ---------------------------------------------------------------------------
-- The checklist: one item per requirement in scope, in the catalog's
-- order (sort_order is the requirement's).

CREATE TABLE audit_checklist_items (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    audit_id         uuid NOT NULL,
    requirement_id   uuid NOT NULL REFERENCES requirements (id),
    sort_order       integer NOT NULL CHECK (sort_order >= 0),
    result           text NOT NULL DEFAULT 'not_audited'
                     CHECK (result IN ('conforming', 'major_nc', 'minor_nc', 'observation',
                                       'ofi', 'not_audited')),
    notes            text CHECK (char_length(notes) BETWEEN 1 AND 10000),
    -- The records the auditor sampled ("INC-2024-0113", "Onboarding of
    -- J. Doe, March 2024").
    sampled_records  text[] NOT NULL DEFAULT '{}'
                     CHECK (cardinality(sampled_records) <= 100
                            AND array_position(sampled_records, NULL) IS NULL),
    audited_by       uuid,
    audited_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid,
    updated_by       uuid,
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    -- Targets of the foreign keys that keep findings and evidence links
    -- inside their audit.
    UNIQUE (tenant_id, audit_id, id),
    UNIQUE (tenant_id, audit_id, requirement_id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE,
    CHECK ((audited_at IS NULL) = (result = 'not_audited'))
);

-- Keyset paging of an audit's checklist in the catalog's order.
CREATE INDEX audit_checklist_page_idx
    ON audit_checklist_items (tenant_id, audit_id, sort_order, id);

CALL tenant_table_setup('audit_checklist_items');
GRANT SELECT, INSERT, UPDATE, DELETE ON audit_checklist_items TO isms_app;

-- An audit's checklist is written 123 rows at a time: one activity entry
-- per row, but through the statement-level trigger of 0004.
DROP TRIGGER activity_record ON audit_checklist_items;
CREATE TRIGGER activity_record_insert AFTER INSERT ON audit_checklist_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
CREATE TRIGGER activity_record_update AFTER UPDATE ON audit_checklist_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();
CREATE TRIGGER activity_record_delete AFTER DELETE ON audit_checklist_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows();

-- Evidence an item cites. Evidence cited by an audit is retained: it
-- cannot be deleted (RESTRICT) while the citation exists.
CREATE TABLE audit_item_evidence (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    audit_id     uuid NOT NULL,
    item_id      uuid NOT NULL,
    evidence_id  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, item_id, evidence_id),
    FOREIGN KEY (tenant_id, audit_id, item_id)
        REFERENCES audit_checklist_items (tenant_id, audit_id, id) ON DELETE CASCADE,
    CONSTRAINT audit_item_evidence_evidence_fkey FOREIGN KEY (tenant_id, evidence_id)
        REFERENCES evidence (tenant_id, id) ON DELETE RESTRICT
);

CREATE INDEX audit_item_evidence_evidence_idx ON audit_item_evidence (tenant_id, evidence_id);

CALL tenant_table_setup('audit_item_evidence', 'item_id');
GRANT SELECT, INSERT, DELETE ON audit_item_evidence TO isms_app;

-- ---------------------------------------------------------------------------
-- Findings, graded as ISO/IEC 17021-1 does: major and minor
-- nonconformities, observations, opportunities for improvement.

CREATE TABLE findings (
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    audit_id           uuid NOT NULL,
    grade              text NOT NULL CHECK (grade IN ('major_nc', 'minor_nc', 'observation', 'ofi')),
    title              text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description        text CHECK (char_length(description) BETWEEN 1 AND 10000),
    -- A clause or control of a framework the tenant sees (checked by
    -- requirement_visible(), 0007).
    requirement_id     uuid REFERENCES requirements (id),
    checklist_item_id  uuid,
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'in_progress', 'closed')),
    status_changed_at  timestamptz NOT NULL DEFAULT now(),
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    created_by         uuid,
    updated_by         uuid,
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, audit_id, id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE,
    -- An item of the same audit.
    CONSTRAINT findings_checklist_item_fkey FOREIGN KEY (tenant_id, audit_id, checklist_item_id)
        REFERENCES audit_checklist_items (tenant_id, audit_id, id)
        ON DELETE SET NULL (checklist_item_id),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

CREATE INDEX findings_page_idx ON findings (tenant_id, audit_id, created_at, id);

CALL tenant_table_setup('findings');
GRANT SELECT, INSERT, UPDATE ON findings TO isms_app;

CREATE TRIGGER requirement_visible BEFORE INSERT OR UPDATE OF requirement_id ON findings
    FOR EACH ROW WHEN (NEW.requirement_id IS NOT NULL)
    EXECUTE FUNCTION requirement_visible('clause,control,enhancement', 'requirement_id');

CREATE TABLE finding_evidence (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    audit_id     uuid NOT NULL,
    finding_id   uuid NOT NULL,
    evidence_id  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, finding_id, evidence_id),
    FOREIGN KEY (tenant_id, audit_id, finding_id)
        REFERENCES findings (tenant_id, audit_id, id) ON DELETE CASCADE,
    CONSTRAINT finding_evidence_evidence_fkey FOREIGN KEY (tenant_id, evidence_id)
        REFERENCES evidence (tenant_id, id) ON DELETE RESTRICT
);

CREATE INDEX finding_evidence_evidence_idx ON finding_evidence (tenant_id, evidence_id);

CALL tenant_table_setup('finding_evidence', 'finding_id');
GRANT SELECT, INSERT, DELETE ON finding_evidence TO isms_app;

-- ---------------------------------------------------------------------------
-- Corrective actions (clause 10.2): the correction (10.2 a), the root
-- cause (10.2 b), the action, its owner and due date, and the review of
-- its effectiveness (10.2 d): by whom, when, with what result.
-- verified_by is the acting user (or an integrator's API key), set by the
-- database, hence no foreign key.

CREATE TABLE corrective_actions (
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    audit_id             uuid NOT NULL,
    finding_id           uuid NOT NULL,
    correction           text CHECK (char_length(correction) BETWEEN 1 AND 10000),
    root_cause           text CHECK (char_length(root_cause) BETWEEN 1 AND 10000),
    action               text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 10000),
    owner_id             uuid,
    due_date             date,
    status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'in_progress', 'done')),
    completed_at         timestamptz,
    verification_result  text CHECK (verification_result IN ('effective', 'not_effective')),
    verification_notes   text CHECK (char_length(verification_notes) BETWEEN 1 AND 10000),
    verified_by          uuid,
    verified_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    created_by           uuid,
    updated_by           uuid,
    version              integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, audit_id, finding_id)
        REFERENCES findings (tenant_id, audit_id, id) ON DELETE CASCADE,
    -- A member who leaves leaves the action without an owner.
    CONSTRAINT corrective_actions_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE SET NULL (owner_id),
    CHECK ((status = 'done') = (completed_at IS NOT NULL)),
    CHECK ((verification_result IS NULL) = (verified_by IS NULL)
           AND (verification_result IS NULL) = (verified_at IS NULL)),
    CHECK (verification_result IS NULL OR status = 'done'),
    -- Four eyes.
    CHECK (verified_by <> owner_id)
);

CREATE INDEX corrective_actions_page_idx
    ON corrective_actions (tenant_id, finding_id, created_at, id);
CREATE INDEX corrective_actions_owner_idx ON corrective_actions (tenant_id, owner_id)
    WHERE owner_id IS NOT NULL;

CALL tenant_table_setup('corrective_actions');
GRANT SELECT, INSERT, UPDATE ON corrective_actions TO isms_app;

-- ---------------------------------------------------------------------------
-- Baselines: what the audit was performed against, frozen when it starts
-- (or when asked for earlier). One per audit. No stamps: a baseline is
-- written once and never changes.

CREATE TABLE audit_baselines (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    audit_id   uuid NOT NULL,
    taken_at   timestamptz NOT NULL DEFAULT now(),
    taken_by   uuid,
    soa        jsonb NOT NULL CHECK (jsonb_typeof(soa) = 'array'),
    risks      jsonb NOT NULL CHECK (jsonb_typeof(risks) = 'array'),
    evidence   jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'array'),
    digest     bytea NOT NULL CHECK (length(digest) = 32),
    PRIMARY KEY (tenant_id, audit_id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id)
);

CALL tenant_rls_setup('audit_baselines');
GRANT SELECT, INSERT ON audit_baselines TO isms_app;

-- The one definition of what a baseline's digest covers.
CREATE FUNCTION audit_baseline_digest(p_soa jsonb, p_risks jsonb, p_evidence jsonb)
    RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT sha256(convert_to(jsonb_build_array(p_soa, p_risks, p_evidence)::text, 'UTF8')) $$;

CREATE FUNCTION audit_baselines_stamp() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    NEW.taken_at := now();
    NEW.taken_by := coalesce(app_user_id(), NEW.taken_by);
    NEW.digest := audit_baseline_digest(NEW.soa, NEW.risks, NEW.evidence);
    RETURN NEW;
END
$$;

CREATE TRIGGER stamp BEFORE INSERT ON audit_baselines
    FOR EACH ROW EXECUTE FUNCTION audit_baselines_stamp();

CREATE FUNCTION audit_baselines_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'An audit baseline is frozen: it cannot be changed or removed.'
        USING ERRCODE = 'IS409';
END
$$;

CREATE TRIGGER frozen BEFORE UPDATE OR DELETE ON audit_baselines
    FOR EACH ROW EXECUTE FUNCTION audit_baselines_frozen();
CREATE TRIGGER frozen_truncate BEFORE TRUNCATE ON audit_baselines
    FOR EACH STATEMENT EXECUTE FUNCTION audit_baselines_frozen();

-- The log gets the baseline's digest and counts, not its content (which
-- the table keeps, and the entries of the records it was taken from
-- already hold).
CREATE FUNCTION audit_baselines_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM activity_append_for(NEW.tenant_id, 'create', 'audit_baselines',
        NEW.audit_id::text, NULL,
        jsonb_build_object('audit_id', NEW.audit_id, 'taken_at', audit_ts(NEW.taken_at),
                           'taken_by', NEW.taken_by, 'digest', encode(NEW.digest, 'hex'),
                           'soa_items', jsonb_array_length(NEW.soa),
                           'risks', jsonb_array_length(NEW.risks),
                           'evidence', jsonb_array_length(NEW.evidence)));
    RETURN NULL;
END
$$;

CREATE TRIGGER activity_record AFTER INSERT ON audit_baselines
    FOR EACH ROW EXECUTE FUNCTION audit_baselines_record();

-- ---------------------------------------------------------------------------
-- The engagement scope of certification-body auditors.
--
-- audit_engagements mirrors audit_team's (audit, user) pairs: a row comes
-- with each team row (trigger) and goes with it (the foreign key's
-- cascade). It exists so that the policies can ask "is the caller on
-- this audit?" without reading audit_team, whose own policy asks the same
-- question (a policy that reads its own table recurses). An auditor sees
-- only its own rows here; every other role sees the tenant's.

CREATE TABLE audit_engagements (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    user_id    uuid NOT NULL,
    audit_id   uuid NOT NULL,
    PRIMARY KEY (tenant_id, user_id, audit_id),
    FOREIGN KEY (tenant_id, audit_id, user_id) REFERENCES audit_team (tenant_id, audit_id, user_id)
        ON DELETE CASCADE ON UPDATE CASCADE
);

CALL tenant_rls_setup('audit_engagements');
CREATE POLICY engagement ON audit_engagements AS RESTRICTIVE FOR SELECT TO isms_app
    USING (tenant_id = app_tenant_id()
           AND (app_role() IS DISTINCT FROM 'auditor' OR user_id = app_user_id()));
GRANT SELECT, INSERT ON audit_engagements TO isms_app;

CREATE FUNCTION audit_team_engage() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO audit_engagements (tenant_id, user_id, audit_id)
         VALUES (NEW.tenant_id, NEW.user_id, NEW.audit_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER engage AFTER INSERT ON audit_team
    FOR EACH ROW EXECUTE FUNCTION audit_team_engage();

-- For the service role: an auditor sees the rows of the audits it is on,
-- other roles every row of the tenant. Restrictive, so it narrows the
-- tenant policy and never widens it.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('audits', 'id'), ('audit_team', 'audit_id'),
                                   ('audit_assets', 'audit_id'),
                                   ('audit_checklist_items', 'audit_id'),
                                   ('audit_item_evidence', 'audit_id'),
                                   ('findings', 'audit_id'), ('finding_evidence', 'audit_id'),
                                   ('corrective_actions', 'audit_id'),
                                   ('audit_baselines', 'audit_id')) AS x(tab, col) LOOP
        EXECUTE format('CREATE POLICY engagement ON %1$I AS RESTRICTIVE FOR SELECT TO isms_app'
                       ' USING (tenant_id = app_tenant_id()'
                       '        AND (app_role() IS DISTINCT FROM ''auditor'''
                       '             OR EXISTS (SELECT 1 FROM audit_engagements e'
                       '                         WHERE e.tenant_id = %1$I.tenant_id'
                       '                           AND e.user_id = app_user_id()'
                       '                           AND e.audit_id = %1$I.%2$I)))',
                       t.tab, t.col);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- Status table and scope.

CREATE FUNCTION audit_transition_allowed(p_from text, p_to text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT p_from = p_to
        OR (p_from, p_to) IN (('planned', 'in_progress'), ('in_progress', 'reporting'),
                              ('reporting', 'closed'), ('planned', 'closed'))
$$;

CREATE FUNCTION audit_transitions_from(p_from text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(array_agg(s ORDER BY n), '{}')
      FROM unnest(ARRAY['planned', 'in_progress', 'reporting', 'closed']) WITH ORDINALITY x(s, n)
     WHERE s <> p_from AND audit_transition_allowed(p_from, s)
$$;

CREATE FUNCTION audit_clause_in_scope(p_ref text, p_scope text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT 'all' = ANY (p_scope)
        OR EXISTS (SELECT 1 FROM unnest(p_scope) s WHERE p_ref = s OR p_ref LIKE s || '.%')
$$;

CREATE FUNCTION audit_control_in_scope(p_ref text, p_scope text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT cardinality(p_scope) = 0
        OR EXISTS (SELECT 1 FROM unnest(p_scope) s WHERE p_ref = s OR p_ref LIKE s || '.%')
$$;

-- The requirements a scope covers: leaf clauses and Annex A controls of
-- ISO/IEC 27001:2022.
CREATE FUNCTION audit_scope_requirements(p_clauses text[], p_controls text[])
    RETURNS TABLE (id uuid, ref text, kind text, sort_order integer)
    LANGUAGE sql STABLE
    AS $$
    SELECT r.id, r.ref, r.kind, r.sort_order
      FROM requirements r
     WHERE r.framework_id = catalog_id('iso27001-2022')
       AND ((r.kind = 'clause'
             AND NOT EXISTS (SELECT 1 FROM requirements c WHERE c.parent_id = r.id)
             AND audit_clause_in_scope(r.ref, p_clauses))
         OR (r.kind = 'control' AND audit_control_in_scope(r.ref, p_controls)))
$$;

-- Checks and normalises a scope: clause references (or 'all', which then
-- stands alone), controls and themes as references (ids are resolved).
-- problems holds one {field, message} per element that names nothing.
CREATE FUNCTION audit_scope_normalize(p_clauses text[], p_controls text[],
                                      OUT clauses text[], OUT controls text[],
                                      OUT problems jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_fw uuid := catalog_id('iso27001-2022');
BEGIN
    problems := '[]';
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'field', format('scope_clauses[%s]', x.n - 1),
               'message', 'must be ''all'' or a clause of ISO/IEC 27001:2022 from 4 to 10.2')
               ORDER BY x.n), '[]')
      INTO problems
      FROM unnest(p_clauses) WITH ORDINALITY x(ref, n)
     WHERE x.ref <> 'all'
       AND NOT EXISTS (SELECT 1 FROM requirements r
                        WHERE r.framework_id = v_fw AND r.kind = 'clause' AND r.ref = x.ref);
    IF 'all' = ANY (p_clauses) THEN
        clauses := '{all}';
    ELSE
        clauses := ARRAY(SELECT x.ref FROM unnest(p_clauses) WITH ORDINALITY x(ref, n)
                          GROUP BY x.ref ORDER BY min(x.n));
    END IF;

    WITH given AS (
        SELECT x.ref AS given, x.n,
               (SELECT r.ref FROM requirements r
                 WHERE r.framework_id = v_fw AND r.kind IN ('control', 'group')
                   AND CASE WHEN x.ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                            THEN r.id = x.ref::uuid ELSE r.ref = x.ref END) AS ref
          FROM unnest(p_controls) WITH ORDINALITY x(ref, n))
    SELECT problems || coalesce((SELECT jsonb_agg(jsonb_build_object(
               'field', format('scope_controls[%s]', g.n - 1),
               'message', 'must be an Annex A control (A.5.1 to A.8.34) or theme (A.5 to A.8) '
                          'of ISO/IEC 27001:2022, by reference or requirement id')
               ORDER BY g.n) FROM given g WHERE g.ref IS NULL), '[]'),
           ARRAY(SELECT g.ref FROM given g WHERE g.ref IS NOT NULL
                  GROUP BY g.ref ORDER BY min(g.n))
      INTO problems, controls
      FROM (SELECT 1) one;
END
$$;

-- Makes the checklist of audit p_audit match its scope: items of
-- requirements that left the scope go, new ones come; the others keep
-- what was written on them.
CREATE FUNCTION audit_checklist_sync(p_tenant uuid, p_audit uuid, p_clauses text[],
                                     p_controls text[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    DELETE FROM audit_checklist_items i
     WHERE i.tenant_id = p_tenant AND i.audit_id = p_audit
       AND i.requirement_id NOT IN (SELECT s.id FROM audit_scope_requirements(p_clauses, p_controls) s);
    INSERT INTO audit_checklist_items (tenant_id, audit_id, requirement_id, sort_order)
    SELECT p_tenant, p_audit, s.id, s.sort_order
      FROM audit_scope_requirements(p_clauses, p_controls) s
     WHERE NOT EXISTS (SELECT 1 FROM audit_checklist_items i
                        WHERE i.tenant_id = p_tenant AND i.audit_id = p_audit
                          AND i.requirement_id = s.id)
     ORDER BY s.sort_order;
END
$$;

-- ---------------------------------------------------------------------------
-- The baseline: the Statement of Applicability as soa_items() (0007)
-- shows it (every Annex A control with its applicability, justification,
-- implementation status, controls and risks), the risk register and the
-- evidence list, all read in one statement (one snapshot). Returns false
-- when the audit already has one.

CREATE FUNCTION audit_risk_snapshot(r risks) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'title', r.title, 'category', r.category, 'owner_id', r.owner_id,
        'status', risk_status(r), 'treatment', r.treatment,
        'inherent', jsonb_build_object('likelihood', r.inherent_likelihood,
                                       'impact', r.inherent_impact,
                                       'score', r.inherent_score, 'level', r.inherent_level),
        'current', jsonb_build_object('likelihood', r.current_likelihood,
                                      'impact', r.current_impact,
                                      'score', r.current_score, 'level', r.current_level),
        'residual', jsonb_build_object('likelihood', r.residual_likelihood,
                                       'impact', r.residual_impact,
                                       'score', r.residual_score, 'level', r.residual_level),
        'above_appetite', r.above_appetite,
        'next_review', r.next_review,
        'asset_ids', coalesce((SELECT jsonb_agg(a.asset_id ORDER BY a.asset_id)
                                 FROM risk_assets a
                                WHERE a.tenant_id = r.tenant_id AND a.risk_id = r.id), '[]'),
        'control_ids', coalesce((SELECT jsonb_agg(DISTINCT c.control_id)
                                   FROM risk_treatments t
                                   JOIN risk_treatment_controls c
                                     ON c.tenant_id = t.tenant_id AND c.treatment_id = t.id
                                  WHERE t.tenant_id = r.tenant_id AND t.risk_id = r.id), '[]'),
        'version', r.version, 'updated_at', audit_ts(r.updated_at))
$$;

CREATE FUNCTION audit_evidence_snapshot(e evidence) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', e.id, 'title', e.title, 'kind', e.kind, 'url', e.url, 'filename', e.filename,
        'size', e.size, 'sha256', encode(e.sha256, 'hex'),
        'valid_from', e.valid_from, 'valid_until', e.valid_until,
        'state', evidence_state(e.valid_from, e.valid_until),
        'control_ids', coalesce((SELECT jsonb_agg(c.control_id ORDER BY c.control_id)
                                   FROM evidence_controls c
                                  WHERE c.tenant_id = e.tenant_id AND c.evidence_id = e.id), '[]'),
        'version', e.version, 'updated_at', audit_ts(e.updated_at))
$$;

CREATE FUNCTION audit_baseline_take(p_tenant uuid, p_audit uuid) RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_baselines b
                WHERE b.tenant_id = p_tenant AND b.audit_id = p_audit) THEN
        RETURN false;
    END IF;
    INSERT INTO audit_baselines (tenant_id, audit_id, soa, risks, evidence, digest)
    SELECT p_tenant, p_audit, soa_items(catalog_id('iso27001-2022')),
           coalesce((SELECT jsonb_agg(audit_risk_snapshot(r) ORDER BY r.created_at, r.id)
                       FROM risks r WHERE r.tenant_id = p_tenant), '[]'),
           coalesce((SELECT jsonb_agg(audit_evidence_snapshot(e) ORDER BY e.created_at, e.id)
                       FROM evidence e WHERE e.tenant_id = p_tenant), '[]'),
           -- replaced by the stamp trigger
           decode(repeat('00', 32), 'hex');
    RETURN true;
END
$$;

-- ---------------------------------------------------------------------------
-- Guards.

CREATE FUNCTION audits_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_open integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'planned' THEN
            RAISE EXCEPTION 'Only a planned audit can be deleted; this one is %. Close it instead.',
                            OLD.status USING ERRCODE = 'IS409';
        END IF;
        IF EXISTS (SELECT 1 FROM audit_baselines b
                    WHERE b.tenant_id = OLD.tenant_id AND b.audit_id = OLD.id) THEN
            RAISE EXCEPTION 'The audit has a frozen baseline and is kept; close it instead (a planned audit closes as cancelled).'
                USING ERRCODE = 'IS409';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'planned' THEN
            RAISE EXCEPTION 'A new audit is planned; it starts with a change of its status.'
                USING ERRCODE = 'IS422', COLUMN = 'status';
        END IF;
        NEW.status_changed_at := now();
        NEW.cancelled := false;
        RETURN NEW;
    END IF;

    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'A closed audit cannot change.' USING ERRCODE = 'IS409';
    END IF;
    IF OLD.status <> 'planned'
       AND (NEW.scope_clauses IS DISTINCT FROM OLD.scope_clauses
            OR NEW.scope_controls IS DISTINCT FROM OLD.scope_controls) THEN
        RAISE EXCEPTION 'The scope of an audit is fixed once it has started.'
            USING ERRCODE = 'IS409';
    END IF;
    IF NEW.cycle_id IS DISTINCT FROM OLD.cycle_id THEN
        RAISE EXCEPTION 'An audit stays in its certification cycle.' USING ERRCODE = 'IS422';
    END IF;
    NEW.cancelled := OLD.cancelled;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT audit_transition_allowed(OLD.status, NEW.status) THEN
            RAISE EXCEPTION 'An audit cannot change from % to %; from % it can change to: %.',
                            OLD.status, NEW.status, OLD.status,
                            array_to_string(audit_transitions_from(OLD.status), ', ')
                USING ERRCODE = 'IS409';
        END IF;
        IF NEW.status = 'in_progress' THEN
            IF NOT EXISTS (SELECT 1 FROM audit_team t
                            WHERE t.tenant_id = NEW.tenant_id AND t.audit_id = NEW.id
                              AND t.role = 'lead') THEN
                RAISE EXCEPTION 'An audit needs a lead auditor (lead_auditor_id) before it starts.'
                    USING ERRCODE = 'IS409';
            END IF;
            NEW.actual_start := coalesce(NEW.actual_start, current_date);
        ELSIF NEW.status = 'reporting' THEN
            NEW.actual_end := coalesce(NEW.actual_end, greatest(current_date, NEW.actual_start));
        ELSIF NEW.status = 'closed' AND OLD.status = 'planned' THEN
            NEW.cancelled := true;
        ELSIF NEW.status = 'closed' THEN
            SELECT count(*) INTO v_open FROM findings f
             WHERE f.tenant_id = NEW.tenant_id AND f.audit_id = NEW.id
               AND f.grade IN ('major_nc', 'minor_nc') AND f.status <> 'closed';
            IF v_open > 0 THEN
                RAISE EXCEPTION '% nonconformit% of this audit % still open; each closes with a corrective action verified as effective.',
                                v_open, CASE WHEN v_open = 1 THEN 'y' ELSE 'ies' END,
                                CASE WHEN v_open = 1 THEN 'is' ELSE 'are' END
                    USING ERRCODE = 'IS409';
            END IF;
        END IF;
        NEW.status_changed_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER guard BEFORE INSERT OR UPDATE OR DELETE ON audits
    FOR EACH ROW EXECUTE FUNCTION audits_guard();

-- After the write: the checklist follows the scope while the audit is
-- planned; starting freezes the baseline.
CREATE FUNCTION audits_follow() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT'
       OR (OLD.status = 'planned'
           AND (NEW.scope_clauses IS DISTINCT FROM OLD.scope_clauses
                OR NEW.scope_controls IS DISTINCT FROM OLD.scope_controls)) THEN
        PERFORM audit_checklist_sync(NEW.tenant_id, NEW.id, NEW.scope_clauses, NEW.scope_controls);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status = 'planned' AND NEW.status = 'in_progress' THEN
        PERFORM audit_baseline_take(NEW.tenant_id, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER follow AFTER INSERT OR UPDATE ON audits
    FOR EACH ROW EXECUTE FUNCTION audits_follow();

-- The status of the audit a child row belongs to, locked against a
-- concurrent status change (FOR SHARE); NULL when it is being deleted.
CREATE FUNCTION audit_status_locked(p_tenant uuid, p_audit uuid) RETURNS text
    LANGUAGE sql VOLATILE
    AS $$
    SELECT a.status FROM audits a WHERE a.tenant_id = p_tenant AND a.id = p_audit FOR SHARE
$$;

-- Team: members of the tenant when assigned; a closed audit's team stays.
CREATE FUNCTION audit_team_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_row audit_team := coalesce(NEW, OLD);
BEGIN
    IF audit_status_locked(v_row.tenant_id, v_row.audit_id) = 'closed' THEN
        RAISE EXCEPTION 'A closed audit cannot change.' USING ERRCODE = 'IS409';
    END IF;
    IF TG_OP <> 'DELETE' AND NOT EXISTS (
        SELECT 1 FROM memberships m
         WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.user_id) THEN
        RAISE EXCEPTION 'An audit team member must be a member of this tenant.'
            USING ERRCODE = 'IS422', COLUMN = 'team_member_ids';
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$;

CREATE TRIGGER guard BEFORE INSERT OR UPDATE OR DELETE ON audit_team
    FOR EACH ROW EXECUTE FUNCTION audit_team_guard();

CREATE FUNCTION audit_assets_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_row audit_assets := coalesce(NEW, OLD);
BEGIN
    IF audit_status_locked(v_row.tenant_id, v_row.audit_id) <> 'planned' THEN
        RAISE EXCEPTION 'The scope of an audit is fixed once it has started.'
            USING ERRCODE = 'IS409';
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$;

CREATE TRIGGER guard BEFORE INSERT OR UPDATE OR DELETE ON audit_assets
    FOR EACH ROW EXECUTE FUNCTION audit_assets_guard();

-- Checklist items: results once the audit runs; who recorded a result
-- and when is the database's to stamp.
CREATE FUNCTION audit_checklist_items_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_status text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.result := 'not_audited';
        NEW.audited_by := NULL;
        NEW.audited_at := NULL;
        RETURN NEW;
    END IF;
    IF NEW.audit_id <> OLD.audit_id OR NEW.requirement_id <> OLD.requirement_id
       OR NEW.sort_order <> OLD.sort_order THEN
        RAISE EXCEPTION 'A checklist item stays with its audit and requirement.'
            USING ERRCODE = 'IS422';
    END IF;
    v_status := audit_status_locked(NEW.tenant_id, NEW.audit_id);
    IF v_status = 'closed' THEN
        RAISE EXCEPTION 'The audit is closed; its checklist cannot change.'
            USING ERRCODE = 'IS409';
    END IF;
    IF NEW.result <> 'not_audited' AND v_status = 'planned' THEN
        RAISE EXCEPTION 'Results are recorded once the audit has started (status in_progress).'
            USING ERRCODE = 'IS409';
    END IF;
    IF NEW.result IS DISTINCT FROM OLD.result THEN
        NEW.audited_by := CASE WHEN NEW.result <> 'not_audited' THEN app_user_id() END;
        NEW.audited_at := CASE WHEN NEW.result <> 'not_audited' THEN now() END;
    ELSE
        NEW.audited_by := OLD.audited_by;
        NEW.audited_at := OLD.audited_at;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON audit_checklist_items
    FOR EACH ROW EXECUTE FUNCTION audit_checklist_items_guard();

-- Findings: raised while the audit runs; the closing rule of 10.2.
CREATE FUNCTION findings_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_status text := audit_status_locked(NEW.tenant_id, NEW.audit_id);
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF v_status NOT IN ('in_progress', 'reporting') THEN
            RAISE EXCEPTION 'Findings are raised while the audit is in progress or reporting; this one is %.',
                            v_status USING ERRCODE = 'IS409';
        END IF;
    ELSE
        IF NEW.audit_id <> OLD.audit_id THEN
            RAISE EXCEPTION 'A finding stays with its audit.' USING ERRCODE = 'IS422';
        END IF;
        IF v_status = 'closed'
           AND (NEW.grade <> OLD.grade
                OR (NEW.grade IN ('major_nc', 'minor_nc') AND NEW.status <> 'closed')) THEN
            RAISE EXCEPTION 'The audit is closed: its findings keep their grades and its nonconformities stay closed.'
                USING ERRCODE = 'IS409';
        END IF;
    END IF;
    IF NEW.status = 'closed' AND NEW.grade IN ('major_nc', 'minor_nc')
       AND (TG_OP = 'INSERT' OR OLD.status <> 'closed' OR OLD.grade <> NEW.grade)
       AND NOT EXISTS (SELECT 1 FROM corrective_actions c
                        WHERE c.tenant_id = NEW.tenant_id AND c.finding_id = NEW.id
                          AND c.verification_result = 'effective') THEN
        RAISE EXCEPTION 'A nonconformity closes only when one of its corrective actions has been verified as effective.'
            USING ERRCODE = 'IS409';
    END IF;
    IF TG_OP = 'INSERT' OR NEW.status <> OLD.status THEN
        NEW.status_changed_at := now();
        NEW.closed_at := CASE WHEN NEW.status = 'closed' THEN now() END;
    ELSE
        NEW.status_changed_at := OLD.status_changed_at;
        NEW.closed_at := OLD.closed_at;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON findings
    FOR EACH ROW EXECUTE FUNCTION findings_guard();

-- Corrective actions: completion, and the verification of effectiveness
-- (by someone other than the owner, once done, final).
CREATE FUNCTION corrective_actions_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF (SELECT f.status FROM findings f
             WHERE f.tenant_id = NEW.tenant_id AND f.id = NEW.finding_id) = 'closed' THEN
            RAISE EXCEPTION 'The finding is closed; reopen it to add a corrective action.'
                USING ERRCODE = 'IS409';
        END IF;
    ELSE
        IF NEW.finding_id <> OLD.finding_id OR NEW.audit_id <> OLD.audit_id THEN
            RAISE EXCEPTION 'A corrective action stays with its finding.' USING ERRCODE = 'IS422';
        END IF;
        IF OLD.verification_result IS NOT NULL THEN
            -- Only the owner may go (a member who leaves).
            IF (NEW.correction, NEW.root_cause, NEW.action, NEW.due_date, NEW.status,
                NEW.verification_result, NEW.verification_notes, NEW.verified_by,
                NEW.verified_at)
               IS DISTINCT FROM
               (OLD.correction, OLD.root_cause, OLD.action, OLD.due_date, OLD.status,
                OLD.verification_result, OLD.verification_notes, OLD.verified_by,
                OLD.verified_at)
               OR (NEW.owner_id IS DISTINCT FROM OLD.owner_id AND NEW.owner_id IS NOT NULL) THEN
                RAISE EXCEPTION 'A verified corrective action is final; record a new one.'
                    USING ERRCODE = 'IS409';
            END IF;
            RETURN NEW;
        END IF;
    END IF;
    IF NEW.status = 'done' THEN
        NEW.completed_at := CASE WHEN TG_OP = 'UPDATE' AND OLD.status = 'done'
                                 THEN OLD.completed_at ELSE now() END;
    ELSE
        NEW.completed_at := NULL;
    END IF;
    IF NEW.verification_result IS NOT NULL THEN
        IF NEW.status <> 'done' THEN
            RAISE EXCEPTION 'A corrective action''s effectiveness is verified once it is done (status done).'
                USING ERRCODE = 'IS409';
        END IF;
        NEW.verified_by := coalesce(app_user_id(), NEW.verified_by);
        NEW.verified_at := now();
        IF NEW.verified_by = NEW.owner_id THEN
            RAISE EXCEPTION 'The owner of a corrective action cannot verify its effectiveness; another member must.'
                USING ERRCODE = 'IS403';
        END IF;
    ELSE
        NEW.verified_by := NULL;
        NEW.verified_at := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON corrective_actions
    FOR EACH ROW EXECUTE FUNCTION corrective_actions_guard();

-- ---------------------------------------------------------------------------
-- Representations: every read and write of the service answers with
-- these, so a record looks the same whichever way it was fetched.

CREATE FUNCTION audit_json(a audits) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'type', a.type, 'title', a.title, 'description', a.description,
        'status', a.status, 'status_changed_at', audit_ts(a.status_changed_at),
        'allowed_transitions', to_jsonb(audit_transitions_from(a.status)),
        'cancelled', a.cancelled,
        'scope_clauses', to_jsonb(a.scope_clauses),
        'scope_controls', to_jsonb(a.scope_controls),
        'scope_asset_ids', coalesce((SELECT jsonb_agg(x.asset_id ORDER BY x.asset_id)
                                       FROM audit_assets x
                                      WHERE x.tenant_id = a.tenant_id AND x.audit_id = a.id), '[]'),
        'planned_start', a.planned_start, 'planned_end', a.planned_end,
        'actual_start', a.actual_start, 'actual_end', a.actual_end, 'due_by', a.due_by,
        'lead_auditor_id', (SELECT t.user_id FROM audit_team t
                             WHERE t.tenant_id = a.tenant_id AND t.audit_id = a.id
                               AND t.role = 'lead'),
        'team_member_ids', coalesce((SELECT jsonb_agg(t.user_id ORDER BY t.user_id)
                                       FROM audit_team t
                                      WHERE t.tenant_id = a.tenant_id AND t.audit_id = a.id
                                        AND t.role = 'member'), '[]'),
        'team', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                     'user_id', t.user_id, 'role', t.role, 'email', u.email,
                                     'display_name', u.display_name,
                                     'membership_role', m.role)
                                     ORDER BY t.role, u.email, t.user_id)
                            FROM audit_team t
                            JOIN users u ON u.id = t.user_id
                            LEFT JOIN memberships m
                                   ON m.tenant_id = t.tenant_id AND m.user_id = t.user_id
                           WHERE t.tenant_id = a.tenant_id AND t.audit_id = a.id), '[]'),
        'checklist', (SELECT jsonb_build_object(
                                 'total', count(*),
                                 'audited', count(*) FILTER (WHERE i.result <> 'not_audited'))
                        FROM audit_checklist_items i
                       WHERE i.tenant_id = a.tenant_id AND i.audit_id = a.id),
        'baseline_taken_at', (SELECT audit_ts(b.taken_at) FROM audit_baselines b
                               WHERE b.tenant_id = a.tenant_id AND b.audit_id = a.id),
        'cycle_id', a.cycle_id,
        'version', a.version,
        'created_at', audit_ts(a.created_at), 'updated_at', audit_ts(a.updated_at),
        'created_by', a.created_by, 'updated_by', a.updated_by)
$$;

CREATE FUNCTION audit_item_json(i audit_checklist_items) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', i.id, 'audit_id', i.audit_id, 'requirement_id', i.requirement_id,
        'ref', q.ref, 'title', q.title, 'kind', q.kind, 'theme', q.theme,
        'result', i.result, 'notes', i.notes,
        'sampled_records', to_jsonb(i.sampled_records),
        'evidence_ids', coalesce((SELECT jsonb_agg(e.evidence_id ORDER BY e.evidence_id)
                                    FROM audit_item_evidence e
                                   WHERE e.tenant_id = i.tenant_id AND e.item_id = i.id), '[]'),
        'audited_by', i.audited_by, 'audited_at', audit_ts(i.audited_at),
        'version', i.version,
        'created_at', audit_ts(i.created_at), 'updated_at', audit_ts(i.updated_at),
        'created_by', i.created_by, 'updated_by', i.updated_by)
      FROM requirements q WHERE q.id = i.requirement_id
$$;

CREATE FUNCTION finding_json(f findings) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', f.id, 'audit_id', f.audit_id, 'grade', f.grade, 'title', f.title,
        'description', f.description, 'requirement_id', f.requirement_id,
        'requirement', (SELECT jsonb_build_object('id', q.id, 'framework', fw.slug, 'ref', q.ref,
                                                  'title', q.title, 'kind', q.kind)
                          FROM requirements q JOIN frameworks fw ON fw.id = q.framework_id
                         WHERE q.id = f.requirement_id),
        'checklist_item_id', f.checklist_item_id,
        'evidence_ids', coalesce((SELECT jsonb_agg(e.evidence_id ORDER BY e.evidence_id)
                                    FROM finding_evidence e
                                   WHERE e.tenant_id = f.tenant_id AND e.finding_id = f.id), '[]'),
        'status', f.status, 'status_changed_at', audit_ts(f.status_changed_at),
        'closed_at', audit_ts(f.closed_at),
        'corrective_actions', (SELECT jsonb_build_object(
                                          'total', count(*),
                                          'done', count(*) FILTER (WHERE c.status = 'done'),
                                          'verified_effective',
                                              count(*) FILTER (WHERE c.verification_result = 'effective'))
                                 FROM corrective_actions c
                                WHERE c.tenant_id = f.tenant_id AND c.finding_id = f.id),
        'version', f.version,
        'created_at', audit_ts(f.created_at), 'updated_at', audit_ts(f.updated_at),
        'created_by', f.created_by, 'updated_by', f.updated_by)
$$;

CREATE FUNCTION corrective_action_json(c corrective_actions) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', c.id, 'finding_id', c.finding_id, 'audit_id', c.audit_id,
        'correction', c.correction, 'root_cause', c.root_cause, 'action', c.action,
        'owner_id', c.owner_id, 'due_date', c.due_date,
        'overdue', coalesce(c.status <> 'done' AND c.due_date < current_date, false),
        'status', c.status, 'completed_at', audit_ts(c.completed_at),
        'verification_result', c.verification_result,
        'verification_notes', c.verification_notes,
        'verified_by', c.verified_by, 'verified_at', audit_ts(c.verified_at),
        'version', c.version,
        'created_at', audit_ts(c.created_at), 'updated_at', audit_ts(c.updated_at),
        'created_by', c.created_by, 'updated_by', c.updated_by)
$$;

-- The baseline with its digest, and whether the content still matches it.
CREATE FUNCTION audit_baseline_json(b audit_baselines) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'audit_id', b.audit_id, 'taken_at', audit_ts(b.taken_at), 'taken_by', b.taken_by,
        'digest', encode(b.digest, 'hex'),
        'intact', audit_baseline_digest(b.soa, b.risks, b.evidence) = b.digest,
        'counts', jsonb_build_object(
            'soa_items', jsonb_array_length(b.soa),
            'soa_included', (SELECT count(*) FROM jsonb_array_elements(b.soa) x
                              WHERE x ->> 'applicability' = 'included'),
            'risks', jsonb_array_length(b.risks),
            'evidence', jsonb_array_length(b.evidence)),
        'soa', b.soa, 'risks', b.risks, 'evidence', b.evidence)
$$;

-- ---------------------------------------------------------------------------
-- Writes. Each answers (outcome, problems, version, <representation>):
-- outcome created | ok | not_found | stale | invalid (problems lists
-- {field, message}). Rules that triggers enforce raise IS4xx instead.

CREATE FUNCTION audit_uuids(p_body jsonb, p_key text) RETURNS uuid[]
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE WHEN jsonb_typeof(p_body -> p_key) = 'array'
                THEN ARRAY(SELECT x::uuid FROM jsonb_array_elements_text(p_body -> p_key) x)
           END
$$;

-- The members of p_body among p_keys (the writable ones).
CREATE FUNCTION audit_writable(p_body jsonb, p_keys text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT coalesce(jsonb_object_agg(key, value), '{}')
      FROM jsonb_each(p_body) WHERE key = ANY (p_keys)
$$;

-- {field, message} for each of p_ids (the body's array p_field) that is
-- not in p_known.
CREATE FUNCTION audit_unknown_ids(p_ids uuid[], p_known uuid[], p_field text, p_message text)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('field', format('%s[%s]', p_field, x.n - 1),
                                                 'message', p_message) ORDER BY x.n), '[]')
      FROM unnest(p_ids) WITH ORDINALITY x(id, n)
     WHERE x.id <> ALL (coalesce(p_known, '{}'))
$$;

CREATE FUNCTION audit_evidence_problems(p_ids uuid[], p_field text) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT audit_unknown_ids(p_ids,
        ARRAY(SELECT e.id FROM evidence e
               WHERE e.tenant_id = app_tenant_id() AND e.id = ANY (p_ids)),
        p_field, 'must be evidence of this tenant')
$$;

CREATE FUNCTION audit_save(p_id uuid, p_body jsonb, p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, audit jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    c_writable CONSTANT text[] := ARRAY['type', 'title', 'description', 'scope_clauses',
        'scope_controls', 'planned_start', 'planned_end', 'actual_start', 'actual_end',
        'due_by', 'status'];
    v_tenant    uuid := app_tenant_id();
    v_old       audits;
    v_new       audits;
    v_scope     record;
    v_problems  jsonb := '[]';
    v_lead      uuid;
    v_members   uuid[];
    v_assets    uuid[];
BEGIN
    IF p_id IS NULL THEN
        v_new := jsonb_populate_record(NULL::audits, audit_writable(p_body, c_writable));
        v_new.tenant_id := v_tenant;
        v_new.id := gen_random_uuid();
        v_new.status := 'planned';
        v_new.scope_clauses := coalesce(v_new.scope_clauses, '{all}');
        v_new.scope_controls := coalesce(v_new.scope_controls, '{}');
        v_new.cycle_id := (p_body ->> 'cycle_id')::uuid;
        v_lead := (p_body ->> 'lead_auditor_id')::uuid;
        v_members := coalesce(audit_uuids(p_body, 'team_member_ids'), '{}');
        v_assets := coalesce(audit_uuids(p_body, 'scope_asset_ids'), '{}');
    ELSE
        SELECT * INTO v_old FROM audits a WHERE a.tenant_id = v_tenant AND a.id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        IF p_version <> 0 AND v_old.version <> p_version THEN
            RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb;
            RETURN;
        END IF;
        v_new := jsonb_populate_record(v_old, audit_writable(p_body, c_writable));
        IF p_body ? 'lead_auditor_id' THEN
            v_lead := (p_body ->> 'lead_auditor_id')::uuid;
        ELSE
            SELECT t.user_id INTO v_lead FROM audit_team t
             WHERE t.tenant_id = v_tenant AND t.audit_id = p_id AND t.role = 'lead';
        END IF;
        IF p_body ? 'team_member_ids' THEN
            v_members := audit_uuids(p_body, 'team_member_ids');
        ELSE
            -- A member who becomes the lead leaves the members.
            v_members := ARRAY(SELECT t.user_id FROM audit_team t
                                WHERE t.tenant_id = v_tenant AND t.audit_id = p_id
                                  AND t.role = 'member' AND t.user_id IS DISTINCT FROM v_lead);
        END IF;
        v_assets := audit_uuids(p_body, 'scope_asset_ids');
    END IF;

    SELECT * INTO v_scope FROM audit_scope_normalize(v_new.scope_clauses, v_new.scope_controls);
    v_problems := v_problems || v_scope.problems;
    v_new.scope_clauses := v_scope.clauses;
    v_new.scope_controls := v_scope.controls;
    IF v_new.planned_end < v_new.planned_start THEN
        v_problems := v_problems || jsonb_build_object('field', 'planned_end',
            'message', 'must not be before planned_start');
    END IF;
    IF v_new.actual_end < v_new.actual_start THEN
        v_problems := v_problems || jsonb_build_object('field', 'actual_end',
            'message', 'must not be before actual_start');
    END IF;
    IF v_lead IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memberships m WHERE m.tenant_id = v_tenant AND m.user_id = v_lead) THEN
        v_problems := v_problems || jsonb_build_object('field', 'lead_auditor_id',
            'message', 'must be a member of this tenant');
    END IF;
    v_problems := v_problems || audit_unknown_ids(v_members,
        ARRAY(SELECT m.user_id FROM memberships m
               WHERE m.tenant_id = v_tenant AND m.user_id = ANY (v_members)),
        'team_member_ids', 'must be a member of this tenant');
    IF v_lead IS NOT NULL AND p_body ? 'team_member_ids' THEN
        v_problems := v_problems || audit_unknown_ids(v_members,
            ARRAY(SELECT x FROM unnest(v_members) x WHERE x <> v_lead),
            'team_member_ids', 'is the lead auditor (lead_auditor_id)');
    END IF;
    IF v_assets IS NOT NULL THEN
        v_problems := v_problems || audit_unknown_ids(v_assets,
            ARRAY(SELECT s.id FROM assets s WHERE s.tenant_id = v_tenant AND s.id = ANY (v_assets)),
            'scope_asset_ids', 'must be an asset of this tenant');
    END IF;
    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN QUERY SELECT 'invalid'::text, v_problems, v_old.version, NULL::jsonb;
        RETURN;
    END IF;

    IF p_id IS NULL THEN
        INSERT INTO audits SELECT v_new.*;
    END IF;
    -- The team: rows whose user or role is no longer wanted go, the
    -- missing ones come (the old lead first, for the one-lead index).
    DELETE FROM audit_team t
     WHERE t.tenant_id = v_tenant AND t.audit_id = v_new.id
       AND NOT ((t.role = 'lead' AND t.user_id IS NOT DISTINCT FROM v_lead)
                OR (t.role = 'member' AND t.user_id = ANY (v_members)
                    AND t.user_id IS DISTINCT FROM v_lead));
    INSERT INTO audit_team (tenant_id, audit_id, user_id, role)
    SELECT v_tenant, v_new.id, x.user_id, x.role
      FROM (SELECT v_lead AS user_id, 'lead' AS role WHERE v_lead IS NOT NULL
            UNION ALL
            SELECT DISTINCT u, 'member' FROM unnest(v_members) u
             WHERE u IS DISTINCT FROM v_lead) x
     WHERE NOT EXISTS (SELECT 1 FROM audit_team t
                        WHERE t.tenant_id = v_tenant AND t.audit_id = v_new.id
                          AND t.user_id = x.user_id);
    IF v_assets IS NOT NULL THEN
        DELETE FROM audit_assets s
         WHERE s.tenant_id = v_tenant AND s.audit_id = v_new.id AND s.asset_id <> ALL (v_assets);
        INSERT INTO audit_assets (tenant_id, audit_id, asset_id)
        SELECT DISTINCT v_tenant, v_new.id, x FROM unnest(v_assets) x
         WHERE NOT EXISTS (SELECT 1 FROM audit_assets s
                            WHERE s.tenant_id = v_tenant AND s.audit_id = v_new.id
                              AND s.asset_id = x);
    END IF;
    -- A change of the team alone is a change of the audit too (its
    -- version moves, If-Match sees it).
    IF p_id IS NOT NULL THEN
        UPDATE audits a
           SET (type, title, description, scope_clauses, scope_controls, planned_start,
                planned_end, actual_start, actual_end, due_by, status)
             = (v_new.type, v_new.title, v_new.description, v_new.scope_clauses,
                v_new.scope_controls, v_new.planned_start, v_new.planned_end,
                v_new.actual_start, v_new.actual_end, v_new.due_by, v_new.status)
         WHERE a.tenant_id = v_tenant AND a.id = p_id;
    END IF;

    RETURN QUERY
        SELECT CASE WHEN p_id IS NULL THEN 'created' ELSE 'ok' END, NULL::jsonb, a.version,
               audit_json(a)
          FROM audits a WHERE a.tenant_id = v_tenant AND a.id = v_new.id;
END
$$;

-- The certification cycle from a stage 2 date d (ISO/IEC 17021-1: the
-- first surveillance no later than 12 months after the certification
-- decision, surveillance at least once a calendar year, recertification
-- before the three-year certificate expires). The decision follows stage
-- 2, so deadlines counted from d are conservative:
--   stage 2            planned d
--   surveillance 1     planned d + 11 months, due by d + 12 months
--   surveillance 2     planned d + 23 months, due by d + 24 months
--   recertification    planned d + 34 months, due by d + 36 months - 1 day
-- (month arithmetic clips to the month's end: 31 Jan + 1 month is 28 or
-- 29 Feb). With p_create the four audits are created, planned, in one
-- transaction, sharing a cycle_id, with the full scope.
CREATE FUNCTION audit_programme(p_stage2 date, p_prefix text, p_create boolean)
    RETURNS TABLE (cycle_id uuid, proposals jsonb, audits jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v_cycle     uuid;
    v_proposals jsonb;
    v_audits    jsonb := '[]';
    v_p         jsonb;
    v_saved     record;
BEGIN
    SELECT jsonb_agg(jsonb_build_object(
               'type', x.type, 'title', coalesce(p_prefix, 'ISO/IEC 27001') || ': ' || x.title,
               'planned_start', (p_stage2 + x.planned)::date,
               'due_by', (p_stage2 + x.due)::date) ORDER BY x.n)
      INTO v_proposals
      FROM (VALUES (1, 'stage2', 'stage 2 audit', interval '0', NULL::interval),
                   (2, 'surveillance', 'surveillance audit 1', interval '11 months',
                    interval '12 months'),
                   (3, 'surveillance', 'surveillance audit 2', interval '23 months',
                    interval '24 months'),
                   (4, 'recertification', 'recertification audit', interval '34 months',
                    interval '36 months' - interval '1 day')) AS x(n, type, title, planned, due);
    IF p_create THEN
        v_cycle := gen_random_uuid();
        FOR v_p IN SELECT e FROM jsonb_array_elements(v_proposals) e LOOP
            SELECT * INTO v_saved
              FROM audit_save(NULL, v_p || jsonb_build_object('cycle_id', v_cycle), 0);
            IF v_saved.outcome <> 'created' THEN
                RAISE EXCEPTION 'audit_programme: % (%)', v_saved.outcome, v_saved.problems;
            END IF;
            v_audits := v_audits || jsonb_build_array(v_saved.audit);
        END LOOP;
    END IF;
    RETURN QUERY SELECT v_cycle, v_proposals, v_audits;
END
$$;

CREATE FUNCTION audit_item_save(p_audit uuid, p_id uuid, p_body jsonb, p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, item jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    c_writable CONSTANT text[] := ARRAY['result', 'notes', 'sampled_records'];
    v_tenant    uuid := app_tenant_id();
    v_old       audit_checklist_items;
    v_new       audit_checklist_items;
    v_evidence  uuid[] := audit_uuids(p_body, 'evidence_ids');
    v_problems  jsonb;
BEGIN
    SELECT * INTO v_old FROM audit_checklist_items i
     WHERE i.tenant_id = v_tenant AND i.audit_id = p_audit AND i.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    IF p_version <> 0 AND v_old.version <> p_version THEN
        RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb;
        RETURN;
    END IF;
    v_problems := audit_evidence_problems(v_evidence, 'evidence_ids');
    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN QUERY SELECT 'invalid'::text, v_problems, v_old.version, NULL::jsonb;
        RETURN;
    END IF;
    v_new := jsonb_populate_record(v_old, audit_writable(p_body, c_writable));
    UPDATE audit_checklist_items i
       SET (result, notes, sampled_records) = (v_new.result, v_new.notes, v_new.sampled_records)
     WHERE i.tenant_id = v_tenant AND i.id = p_id;
    IF v_evidence IS NOT NULL THEN
        DELETE FROM audit_item_evidence e
         WHERE e.tenant_id = v_tenant AND e.item_id = p_id AND e.evidence_id <> ALL (v_evidence);
        INSERT INTO audit_item_evidence (tenant_id, audit_id, item_id, evidence_id)
        SELECT DISTINCT v_tenant, p_audit, p_id, x FROM unnest(v_evidence) x
         WHERE NOT EXISTS (SELECT 1 FROM audit_item_evidence e
                            WHERE e.tenant_id = v_tenant AND e.item_id = p_id
                              AND e.evidence_id = x);
    END IF;
    RETURN QUERY SELECT 'ok'::text, NULL::jsonb, i.version, audit_item_json(i)
                   FROM audit_checklist_items i WHERE i.tenant_id = v_tenant AND i.id = p_id;
END
$$;

-- Creates a finding of audit p_audit (p_id NULL) or changes finding p_id.
CREATE FUNCTION finding_save(p_audit uuid, p_id uuid, p_body jsonb, p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, finding jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    c_writable CONSTANT text[] := ARRAY['grade', 'title', 'description', 'requirement_id',
                                        'checklist_item_id', 'status'];
    v_tenant    uuid := app_tenant_id();
    v_old       findings;
    v_new       findings;
    v_evidence  uuid[] := audit_uuids(p_body, 'evidence_ids');
    v_problems  jsonb := '[]';
BEGIN
    IF p_id IS NULL THEN
        PERFORM 1 FROM audits a WHERE a.tenant_id = v_tenant AND a.id = p_audit;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        v_new := jsonb_populate_record(NULL::findings, audit_writable(p_body, c_writable));
        v_new.tenant_id := v_tenant;
        v_new.id := gen_random_uuid();
        v_new.audit_id := p_audit;
        v_new.status := coalesce(v_new.status, 'open');
    ELSE
        SELECT * INTO v_old FROM findings f WHERE f.tenant_id = v_tenant AND f.id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        IF p_version <> 0 AND v_old.version <> p_version THEN
            RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb;
            RETURN;
        END IF;
        v_new := jsonb_populate_record(v_old, audit_writable(p_body, c_writable));
    END IF;

    IF v_new.checklist_item_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM audit_checklist_items i
         WHERE i.tenant_id = v_tenant AND i.audit_id = v_new.audit_id
           AND i.id = v_new.checklist_item_id) THEN
        v_problems := v_problems || jsonb_build_object('field', 'checklist_item_id',
            'message', 'must be an item of this audit''s checklist');
    ELSIF v_new.checklist_item_id IS NOT NULL AND NOT p_body ? 'requirement_id'
          AND (p_id IS NULL OR v_new.checklist_item_id IS DISTINCT FROM v_old.checklist_item_id) THEN
        -- The item's requirement, unless the body names one.
        SELECT i.requirement_id INTO v_new.requirement_id FROM audit_checklist_items i
         WHERE i.tenant_id = v_tenant AND i.id = v_new.checklist_item_id;
    END IF;
    IF v_new.requirement_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM requirements q
         WHERE q.id = v_new.requirement_id AND q.kind IN ('clause', 'control', 'enhancement')) THEN
        v_problems := v_problems || jsonb_build_object('field', 'requirement_id',
            'message', 'must be a clause or control of a framework this tenant uses');
    END IF;
    v_problems := v_problems || audit_evidence_problems(v_evidence, 'evidence_ids');
    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN QUERY SELECT 'invalid'::text, v_problems, v_old.version, NULL::jsonb;
        RETURN;
    END IF;

    IF p_id IS NULL THEN
        INSERT INTO findings SELECT v_new.*;
    ELSE
        UPDATE findings f
           SET (grade, title, description, requirement_id, checklist_item_id, status)
             = (v_new.grade, v_new.title, v_new.description, v_new.requirement_id,
                v_new.checklist_item_id, v_new.status)
         WHERE f.tenant_id = v_tenant AND f.id = p_id;
    END IF;
    IF v_evidence IS NOT NULL THEN
        DELETE FROM finding_evidence e
         WHERE e.tenant_id = v_tenant AND e.finding_id = v_new.id
           AND e.evidence_id <> ALL (v_evidence);
        INSERT INTO finding_evidence (tenant_id, audit_id, finding_id, evidence_id)
        SELECT DISTINCT v_tenant, v_new.audit_id, v_new.id, x FROM unnest(v_evidence) x
         WHERE NOT EXISTS (SELECT 1 FROM finding_evidence e
                            WHERE e.tenant_id = v_tenant AND e.finding_id = v_new.id
                              AND e.evidence_id = x);
    END IF;
    RETURN QUERY
        SELECT CASE WHEN p_id IS NULL THEN 'created' ELSE 'ok' END, NULL::jsonb, f.version,
               finding_json(f)
          FROM findings f WHERE f.tenant_id = v_tenant AND f.id = v_new.id;
END
$$;

-- Creates a corrective action of finding p_finding (p_id NULL) or
-- changes action p_id. A verification_result in the body records the
-- verification; who and when are the database's.
CREATE FUNCTION corrective_action_save(p_finding uuid, p_id uuid, p_body jsonb,
                                       p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, corrective_action jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    c_writable CONSTANT text[] := ARRAY['correction', 'root_cause', 'action', 'owner_id',
                                        'due_date', 'status', 'verification_result',
                                        'verification_notes'];
    v_tenant    uuid := app_tenant_id();
    v_old       corrective_actions;
    v_new       corrective_actions;
    v_audit     uuid;
    v_problems  jsonb := '[]';
BEGIN
    IF p_id IS NULL THEN
        SELECT f.audit_id INTO v_audit FROM findings f
         WHERE f.tenant_id = v_tenant AND f.id = p_finding;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        v_new := jsonb_populate_record(NULL::corrective_actions, audit_writable(p_body, c_writable));
        v_new.tenant_id := v_tenant;
        v_new.id := gen_random_uuid();
        v_new.finding_id := p_finding;
        v_new.audit_id := v_audit;
        v_new.status := coalesce(v_new.status, 'open');
    ELSE
        SELECT * INTO v_old FROM corrective_actions c
         WHERE c.tenant_id = v_tenant AND c.id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        IF p_version <> 0 AND v_old.version <> p_version THEN
            RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb;
            RETURN;
        END IF;
        v_new := jsonb_populate_record(v_old, audit_writable(p_body, c_writable));
    END IF;
    IF v_new.owner_id IS NOT NULL AND (p_id IS NULL OR p_body ? 'owner_id') AND NOT EXISTS (
        SELECT 1 FROM memberships m WHERE m.tenant_id = v_tenant AND m.user_id = v_new.owner_id) THEN
        v_problems := v_problems || jsonb_build_object('field', 'owner_id',
            'message', 'must be a member of this tenant');
    END IF;
    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN QUERY SELECT 'invalid'::text, v_problems, v_old.version, NULL::jsonb;
        RETURN;
    END IF;
    IF p_id IS NULL THEN
        INSERT INTO corrective_actions SELECT v_new.*;
    ELSE
        UPDATE corrective_actions c
           SET (correction, root_cause, action, owner_id, due_date, status,
                verification_result, verification_notes)
             = (v_new.correction, v_new.root_cause, v_new.action, v_new.owner_id,
                v_new.due_date, v_new.status, v_new.verification_result,
                v_new.verification_notes)
         WHERE c.tenant_id = v_tenant AND c.id = p_id;
    END IF;
    RETURN QUERY
        SELECT CASE WHEN p_id IS NULL THEN 'created' ELSE 'ok' END, NULL::jsonb, c.version,
               corrective_action_json(c)
          FROM corrective_actions c WHERE c.tenant_id = v_tenant AND c.id = v_new.id;
END
$$;

-- ---------------------------------------------------------------------------
-- The report: scope, checklist coverage, findings by grade, the state of
-- the corrective actions. NULL when the audit is not visible.
-- coverage_percent is the share of checklist items with a result other
-- than not_audited, in percent with one decimal (0 for no items).

CREATE FUNCTION audit_report(p_audit uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'generated_at', audit_ts(clock_timestamp()),
        'audit', audit_json(a),
        'scope', jsonb_build_object(
            'clauses', to_jsonb(a.scope_clauses),
            'controls', to_jsonb(a.scope_controls),
            'assets', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                           'id', s.id, 'name', s.name, 'type', s.type)
                                           ORDER BY s.name, s.id)
                                  FROM audit_assets x
                                  JOIN assets s ON s.tenant_id = x.tenant_id AND s.id = x.asset_id
                                 WHERE x.tenant_id = a.tenant_id AND x.audit_id = a.id), '[]')),
        'checklist', (SELECT jsonb_build_object(
            'total', count(*),
            'clauses', count(*) FILTER (WHERE q.kind = 'clause'),
            'controls', count(*) FILTER (WHERE q.kind = 'control'),
            'by_result', jsonb_build_object(
                'conforming', count(*) FILTER (WHERE i.result = 'conforming'),
                'major_nc', count(*) FILTER (WHERE i.result = 'major_nc'),
                'minor_nc', count(*) FILTER (WHERE i.result = 'minor_nc'),
                'observation', count(*) FILTER (WHERE i.result = 'observation'),
                'ofi', count(*) FILTER (WHERE i.result = 'ofi'),
                'not_audited', count(*) FILTER (WHERE i.result = 'not_audited')))
            FROM audit_checklist_items i JOIN requirements q ON q.id = i.requirement_id
           WHERE i.tenant_id = a.tenant_id AND i.audit_id = a.id),
        'coverage_percent', (SELECT coalesce(round(100.0 * count(*) FILTER (
                                                 WHERE i.result <> 'not_audited')
                                             / nullif(count(*), 0), 1), 0)
                               FROM audit_checklist_items i
                              WHERE i.tenant_id = a.tenant_id AND i.audit_id = a.id),
        'findings_by_grade', (SELECT jsonb_object_agg(x.grade, x.counts)
                                FROM (SELECT g.grade, jsonb_build_object(
                                          'total', count(f.id),
                                          'open', count(f.id) FILTER (WHERE f.status = 'open'),
                                          'in_progress',
                                              count(f.id) FILTER (WHERE f.status = 'in_progress'),
                                          'closed', count(f.id) FILTER (WHERE f.status = 'closed'))
                                          AS counts
                                        FROM unnest(ARRAY['major_nc', 'minor_nc', 'observation',
                                                          'ofi']) AS g(grade)
                                        LEFT JOIN findings f
                                               ON f.tenant_id = a.tenant_id
                                              AND f.audit_id = a.id AND f.grade = g.grade
                                       GROUP BY g.grade) x),
        'findings', coalesce((SELECT jsonb_agg(finding_json(f) || jsonb_build_object(
                                  'corrective_actions',
                                  coalesce((SELECT jsonb_agg(corrective_action_json(c)
                                                             ORDER BY c.created_at, c.id)
                                              FROM corrective_actions c
                                             WHERE c.tenant_id = f.tenant_id
                                               AND c.finding_id = f.id), '[]'))
                                  ORDER BY array_position(ARRAY['major_nc', 'minor_nc',
                                                                'observation', 'ofi'], f.grade),
                                           f.created_at, f.id)
                                FROM findings f
                               WHERE f.tenant_id = a.tenant_id AND f.audit_id = a.id), '[]'),
        'corrective_actions', (SELECT jsonb_build_object(
            'total', count(*),
            'open', count(*) FILTER (WHERE c.status = 'open'),
            'in_progress', count(*) FILTER (WHERE c.status = 'in_progress'),
            'done', count(*) FILTER (WHERE c.status = 'done'),
            'verified_effective', count(*) FILTER (WHERE c.verification_result = 'effective'),
            'verified_not_effective',
                count(*) FILTER (WHERE c.verification_result = 'not_effective'),
            'overdue', count(*) FILTER (WHERE c.status <> 'done' AND c.due_date < current_date))
            FROM corrective_actions c
           WHERE c.tenant_id = a.tenant_id AND c.audit_id = a.id),
        'baseline', (SELECT jsonb_build_object('taken_at', audit_ts(b.taken_at),
                                               'digest', encode(b.digest, 'hex'))
                       FROM audit_baselines b
                      WHERE b.tenant_id = a.tenant_id AND b.audit_id = a.id))
      FROM audits a
     WHERE a.tenant_id = app_tenant_id() AND a.id = p_audit
$$;

-- "What did this person do": the actor filter walks this.
CREATE INDEX activity_log_actor_idx ON activity_log (tenant_id, actor_id, seq)
    WHERE actor_id IS NOT NULL;

GRANT EXECUTE ON FUNCTION
    audit_ts(timestamptz), audit_transition_allowed(text, text), audit_transitions_from(text),
    audit_clause_in_scope(text, text[]), audit_control_in_scope(text, text[]),
    audit_scope_requirements(text[], text[]), audit_scope_normalize(text[], text[]),
    audit_checklist_sync(uuid, uuid, text[], text[]),
    audit_risk_snapshot(risks), audit_evidence_snapshot(evidence),
    audit_baseline_digest(jsonb, jsonb, jsonb), audit_baseline_take(uuid, uuid),
    audit_status_locked(uuid, uuid),
    audit_json(audits), audit_item_json(audit_checklist_items), finding_json(findings),
    corrective_action_json(corrective_actions), audit_baseline_json(audit_baselines),
    audit_uuids(jsonb, text), audit_writable(jsonb, text[]),
    audit_unknown_ids(uuid[], uuid[], text, text), audit_evidence_problems(uuid[], text),
    audit_save(uuid, jsonb, integer), audit_programme(date, text, boolean),
    audit_item_save(uuid, uuid, jsonb, integer), finding_save(uuid, uuid, jsonb, integer),
    corrective_action_save(uuid, uuid, jsonb, integer), audit_report(uuid)
    TO isms_app;
