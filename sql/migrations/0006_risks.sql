-- 0006_risks: the risk register (ISO/IEC 27001:2022 clauses 6.1.2, 6.1.3,
-- 8.2 and 8.3, following the ISO/IEC 27005 process): each tenant's risk
-- matrix (the risk criteria), the threat and vulnerability catalogs, risks
-- over assets with their inherent, current and residual assessment, the
-- treatment plan tied to controls, and the formal acceptance of risks.
--
-- Rules kept here rather than in the service, so that every writer obeys
-- them:
--   * score = likelihood x impact; a stage's level is the matrix cell at
--     (likelihood, impact). Scores, levels, above_appetite and next_review
--     are stored and derived by the risks_derive trigger from the tenant's
--     matrix on every write; risk_matrix_put() re-derives every risk in one
--     statement of the transaction that changes the matrix.
--   * Status transitions (risk_transition_allowed()): identified ->
--     assessed -> treatment_planned -> treated -> accepted | closed, plus
--     assessed -> accepted (retain), accepted -> assessed (review, or
--     the acceptance expired), and any status -> closed. closed is final.
--     A risk becomes accepted only through an approved acceptance.
--   * An acceptance's expiry returns the risk to assessed. Reads compute
--     it (risk_status()): GET transactions are read-only. The write
--     functions of risks, acceptances and the matrix persist it first
--     (risks_expire_acceptances()), so the activity log records the
--     change with the next such write of the tenant's register.
--   * Tenant-inclusive foreign keys: a risk, treatment or acceptance can
--     only point at rows of its own tenant (assets, members, risks).
--     Catalog rows may be global (tenant_id NULL) or the tenant's own;
--     risk_catalog_link_check() refuses another tenant's.

-- Timestamps inside JSON built here, as the services write them.
CREATE FUNCTION risk_ts(p timestamptz) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT to_char(p AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- ---------------------------------------------------------------------------
-- The risk matrix: one per tenant. likelihood_levels and impact_levels are
-- arrays of {value, name, description} with value = position (1..n, 3 to 7
-- levels); risk_levels is an array of {name, colour, rank,
-- review_interval_days} ordered by rank (1 = lowest); grid[l - 1][i - 1]
-- names the risk level of likelihood l and impact i. A risk whose level
-- ranks above acceptance_threshold's is above the risk appetite.
-- The service validates the shape in detail; the checks here are the
-- backstop.

CREATE TABLE risk_matrices (
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    likelihood_levels     jsonb NOT NULL
                          CHECK (jsonb_typeof(likelihood_levels) = 'array'
                                 AND jsonb_array_length(likelihood_levels) BETWEEN 3 AND 7),
    impact_levels         jsonb NOT NULL
                          CHECK (jsonb_typeof(impact_levels) = 'array'
                                 AND jsonb_array_length(impact_levels) BETWEEN 3 AND 7),
    risk_levels           jsonb NOT NULL
                          CHECK (jsonb_typeof(risk_levels) = 'array'
                                 AND jsonb_array_length(risk_levels) BETWEEN 2 AND 10),
    grid                  jsonb NOT NULL
                          CHECK (jsonb_typeof(grid) = 'array'
                                 AND jsonb_array_length(grid) = jsonb_array_length(likelihood_levels)),
    acceptance_threshold  text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    created_by            uuid,
    updated_by            uuid,
    version               integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id)
);

CALL tenant_table_setup('risk_matrices', 'tenant_id');

-- Only changes are logged. A matrix is inserted once, with the tenant and
-- always with the default below (isms_app cannot insert one): the
-- tenant's creation entry implies it, and the first change's before-image
-- shows it. Logging it too would put an entry between the tenant's
-- creation and whatever the operator does next in every chain.
DROP TRIGGER activity_record ON risk_matrices;
CREATE TRIGGER activity_record AFTER UPDATE OR DELETE ON risk_matrices
    FOR EACH ROW EXECUTE FUNCTION activity_record('tenant_id');

-- Created with the tenant, changed by admins, never removed by the service.
GRANT SELECT, UPDATE ON risk_matrices TO isms_app;

-- The default every tenant starts with: 5 x 5, four levels, the score
-- bands 1-4 low, 5-9 medium, 10-16 high, 20-25 very high; risks up to
-- medium are within the appetite.
CREATE FUNCTION risk_matrix_default() RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT '{
      "likelihood_levels": [
        {"value": 1, "name": "Rare", "description": "May happen only in exceptional circumstances; less than once in ten years."},
        {"value": 2, "name": "Unlikely", "description": "Could happen at some time; about once in five to ten years."},
        {"value": 3, "name": "Possible", "description": "Might happen; about once in one to five years."},
        {"value": 4, "name": "Likely", "description": "Will probably happen; about once a year."},
        {"value": 5, "name": "Almost certain", "description": "Expected to happen several times a year."}],
      "impact_levels": [
        {"value": 1, "name": "Negligible", "description": "No noticeable effect on operations, customers or compliance."},
        {"value": 2, "name": "Minor", "description": "Limited, short disruption or loss, handled within normal operations."},
        {"value": 3, "name": "Moderate", "description": "Noticeable disruption, financial loss or exposure of internal information."},
        {"value": 4, "name": "Major", "description": "Serious disruption, loss of confidential data, regulatory or contractual breach."},
        {"value": 5, "name": "Severe", "description": "Threatens the organization: prolonged outage, large data breach, major penalties."}],
      "risk_levels": [
        {"name": "Low", "colour": "#2e7d32", "rank": 1, "review_interval_days": 365},
        {"name": "Medium", "colour": "#f9a825", "rank": 2, "review_interval_days": 180},
        {"name": "High", "colour": "#ef6c00", "rank": 3, "review_interval_days": 90},
        {"name": "Very high", "colour": "#c62828", "rank": 4, "review_interval_days": 30}],
      "grid": [
        ["Low", "Low", "Low", "Low", "Medium"],
        ["Low", "Low", "Medium", "Medium", "High"],
        ["Low", "Medium", "Medium", "High", "High"],
        ["Low", "Medium", "High", "High", "Very high"],
        ["Medium", "High", "High", "Very high", "Very high"]],
      "acceptance_threshold": "Medium"
    }'::jsonb
$$;

-- Gives a tenant the default matrix (if it has none). The matrix's
-- row-level security needs the tenant's context: it is set inside and the
-- caller's is restored before returning. SECURITY DEFINER because
-- whoever creates tenants (the CLI, as owner, or a superuser) should not
-- have to know about it. Not granted to isms_app.
CREATE FUNCTION risk_matrix_create(p_tenant uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_default  jsonb := risk_matrix_default();
    v_context  text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    INSERT INTO risk_matrices (tenant_id, likelihood_levels, impact_levels,
                               risk_levels, grid, acceptance_threshold)
         VALUES (p_tenant, v_default -> 'likelihood_levels', v_default -> 'impact_levels',
                 v_default -> 'risk_levels', v_default -> 'grid',
                 v_default ->> 'acceptance_threshold')
    ON CONFLICT (tenant_id) DO NOTHING;
    PERFORM set_config('app.tenant_id', v_context, true);
END
$$;

CREATE FUNCTION risk_matrix_for_new_tenant() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    PERFORM risk_matrix_create(NEW.id);
    RETURN NULL;
END
$$;

-- After the tenant's own activity_record trigger (triggers fire in name
-- order), so the tenant's chain starts with its creation.
CREATE TRIGGER risk_matrix_default AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION risk_matrix_for_new_tenant();

-- Existing tenants get theirs too.
SELECT risk_matrix_create(t.id) FROM tenants t ORDER BY t.created_at, t.id;

-- ---------------------------------------------------------------------------
-- Threats and vulnerabilities: one catalog table, `kind` tells them apart.
-- Rows with tenant_id NULL are the global catalog, seeded below from the
-- examples of ISO/IEC 27005 (threat types of its 2018 annex C,
-- vulnerability areas of its annex D), readable by every tenant and never
-- writable by the services; the others are a tenant's own entries.
--
-- The primary key is id alone: a primary key cannot hold the NULL
-- tenant_id of a global row. Isolation does not depend on it: row-level
-- security is forced as on every tenant table, and links from risks are
-- checked by risk_catalog_link_check() (global or the risk's own tenant).
-- tenant_rls_setup() requires tenant_id NOT NULL, so the policies and
-- triggers are written out here.

CREATE TABLE risk_catalog (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid REFERENCES tenants (id),
    kind         text NOT NULL CHECK (kind IN ('threat', 'vulnerability')),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    category     text NOT NULL,
    description  text CHECK (char_length(description) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CHECK ((kind = 'threat'
            AND category IN ('physical_damage', 'natural_events', 'loss_of_essential_services',
                             'disturbance_due_to_radiation', 'compromise_of_information',
                             'technical_failures', 'unauthorized_actions',
                             'compromise_of_functions'))
        OR (kind = 'vulnerability'
            AND category IN ('hardware', 'software', 'network', 'personnel', 'site',
                             'organization'))),
    -- One name per kind in the global catalog and in each tenant's.
    CONSTRAINT risk_catalog_name_key UNIQUE NULLS NOT DISTINCT (tenant_id, kind, name)
);

-- Lists are sorted by name.
CREATE INDEX risk_catalog_name_idx ON risk_catalog (kind, name, id);

ALTER TABLE risk_catalog ENABLE ROW LEVEL SECURITY;
ALTER TABLE risk_catalog FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON risk_catalog
    USING (tenant_id = app_tenant_id())
    WITH CHECK (tenant_id = app_tenant_id());

-- The global rows: read-only (no policy lets anyone write them), and only
-- within a tenant context, like every other row.
CREATE POLICY global_read ON risk_catalog FOR SELECT
    USING (tenant_id IS NULL AND app_tenant_id() IS NOT NULL);

-- Migrations (run by the owner) maintain the global rows, and only those.
CREATE POLICY owner_global ON risk_catalog TO isms_owner
    USING (tenant_id IS NULL)
    WITH CHECK (tenant_id IS NULL);

CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON risk_catalog
    FOR EACH ROW EXECUTE FUNCTION row_stamp();
-- The global rows belong to no tenant's history (they change only with
-- migrations).
CREATE TRIGGER activity_record AFTER INSERT OR UPDATE ON risk_catalog
    FOR EACH ROW WHEN (NEW.tenant_id IS NOT NULL)
    EXECUTE FUNCTION activity_record();
CREATE TRIGGER activity_record_delete AFTER DELETE ON risk_catalog
    FOR EACH ROW WHEN (OLD.tenant_id IS NOT NULL)
    EXECUTE FUNCTION activity_record();

GRANT SELECT, INSERT, UPDATE, DELETE ON risk_catalog TO isms_app;

INSERT INTO risk_catalog (kind, category, name, description) VALUES
    ('threat', 'physical_damage', 'Fire',
     'Fire in or near the premises destroys equipment, media or records.'),
    ('threat', 'physical_damage', 'Water damage',
     'Leaking pipes, sprinklers or roofs damage equipment and paper records.'),
    ('threat', 'physical_damage', 'Pollution, dust or corrosion',
     'Dust, chemicals or corrosive air shorten the life of equipment.'),
    ('threat', 'physical_damage', 'Major accident',
     'An explosion, structural collapse or vehicle impact damages the site.'),
    ('threat', 'physical_damage', 'Destruction of equipment or media',
     'Equipment or storage media are destroyed by accident or on purpose.'),
    ('threat', 'natural_events', 'Climatic phenomenon',
     'Storms, extreme heat or cold affect the site, staff or supply chains.'),
    ('threat', 'natural_events', 'Seismic phenomenon',
     'An earthquake damages buildings, equipment or utilities.'),
    ('threat', 'natural_events', 'Flood',
     'Rivers, heavy rain or storm surge flood the premises.'),
    ('threat', 'natural_events', 'Lightning',
     'A lightning strike causes power surges or fire.'),
    ('threat', 'loss_of_essential_services', 'Loss of power supply',
     'Mains power fails or becomes unstable long enough to stop systems.'),
    ('threat', 'loss_of_essential_services', 'Failure of cooling or water supply',
     'Air conditioning or water supply stops and equipment overheats.'),
    ('threat', 'loss_of_essential_services', 'Failure of telecommunication services',
     'Network links or telephone services provided by others become unavailable.'),
    ('threat', 'loss_of_essential_services', 'Failure of an outsourced or cloud service',
     'A supplier''s service the organization depends on stops or degrades.'),
    ('threat', 'disturbance_due_to_radiation', 'Electromagnetic interference',
     'Electromagnetic radiation or pulses disturb equipment or corrupt data.'),
    ('threat', 'compromise_of_information', 'Eavesdropping and interception',
     'Communications or emanations are captured by an unauthorized party.'),
    ('threat', 'compromise_of_information', 'Theft of media or documents',
     'Storage media, printouts or documents are taken away.'),
    ('threat', 'compromise_of_information', 'Theft of equipment',
     'Laptops, phones or other devices holding information are stolen.'),
    ('threat', 'compromise_of_information', 'Retrieval of discarded media',
     'Information is recovered from recycled, resold or discarded media.'),
    ('threat', 'compromise_of_information', 'Disclosure of information',
     'Information reaches people who should not have it, by mistake or on purpose.'),
    ('threat', 'compromise_of_information', 'Data from untrustworthy sources',
     'Decisions or processing rely on data whose origin or integrity is not assured.'),
    ('threat', 'compromise_of_information', 'Tampering with hardware or software',
     'Devices or programs are modified to leak, alter or destroy information.'),
    ('threat', 'technical_failures', 'Equipment failure',
     'Hardware breaks down or malfunctions.'),
    ('threat', 'technical_failures', 'Saturation of the information system',
     'Load exceeds the capacity of systems or networks.'),
    ('threat', 'technical_failures', 'Software malfunction',
     'Defects in software produce wrong results or stop processing.'),
    ('threat', 'technical_failures', 'Breach of maintainability',
     'Systems can no longer be maintained: no vendor support, skills or spare parts.'),
    ('threat', 'unauthorized_actions', 'Unauthorized use of equipment',
     'Equipment is used for purposes or by people it is not authorized for.'),
    ('threat', 'unauthorized_actions', 'Use of counterfeit or unlicensed software',
     'Copied or unlicensed software is installed or distributed.'),
    ('threat', 'unauthorized_actions', 'Malware',
     'Malicious code such as ransomware, worms or spyware infects systems.'),
    ('threat', 'unauthorized_actions', 'Corruption of data',
     'Data is altered or destroyed without authorization.'),
    ('threat', 'unauthorized_actions', 'Illegal processing of data',
     'Personal or other regulated data is processed in breach of law or contract.'),
    ('threat', 'unauthorized_actions', 'Social engineering',
     'People are deceived, for example by phishing, into giving access or information.'),
    ('threat', 'compromise_of_functions', 'Error in use',
     'Users or administrators make mistakes in operating systems or handling data.'),
    ('threat', 'compromise_of_functions', 'Abuse of rights',
     'Someone uses legitimate access rights for unauthorized purposes.'),
    ('threat', 'compromise_of_functions', 'Forging of rights',
     'Someone impersonates another user or obtains rights they were not granted.'),
    ('threat', 'compromise_of_functions', 'Denial of actions',
     'A party denies having sent, received or done something.'),
    ('threat', 'compromise_of_functions', 'Unavailability of personnel',
     'Key people are absent, leave or cannot reach their workplace.'),

    ('vulnerability', 'hardware', 'Insufficient maintenance',
     'Equipment or storage media are not maintained or installed correctly.'),
    ('vulnerability', 'hardware', 'No periodic replacement',
     'Ageing equipment and media are not replaced on a schedule.'),
    ('vulnerability', 'hardware', 'Susceptibility to environmental conditions',
     'Equipment is sensitive to humidity, dust, temperature or voltage changes.'),
    ('vulnerability', 'hardware', 'Unprotected storage',
     'Media and devices are stored without physical protection.'),
    ('vulnerability', 'hardware', 'Lack of care at disposal',
     'Equipment and media leave the organization without secure erasure or destruction.'),
    ('vulnerability', 'hardware', 'Uncontrolled copying',
     'Information can be copied to removable media or devices without control.'),
    ('vulnerability', 'software', 'Insufficient software testing',
     'Software goes into production without adequate testing.'),
    ('vulnerability', 'software', 'Known unpatched flaws',
     'Published vulnerabilities remain unpatched in software in use.'),
    ('vulnerability', 'software', 'No audit trail',
     'Systems do not record who did what, so misuse goes unnoticed.'),
    ('vulnerability', 'software', 'Wrong allocation of access rights',
     'Users hold more rights than their role needs.'),
    ('vulnerability', 'software', 'Weak authentication',
     'Missing, weak or shared authentication mechanisms and poor password management.'),
    ('vulnerability', 'software', 'Unnecessary services enabled',
     'Systems run services and features nobody needs, widening the attack surface.'),
    ('vulnerability', 'software', 'Insecure configuration',
     'Default settings, wrong parameters or missing hardening.'),
    ('vulnerability', 'software', 'No backup copies',
     'Data or configurations are not backed up, or restores are never tested.'),
    ('vulnerability', 'network', 'Unprotected communication lines',
     'Traffic crosses networks without encryption or integrity protection.'),
    ('vulnerability', 'network', 'Transfer of credentials in clear',
     'Passwords or keys are sent unencrypted.'),
    ('vulnerability', 'network', 'Single point of failure',
     'One component or link whose failure stops the whole service.'),
    ('vulnerability', 'network', 'Insecure network architecture',
     'No segmentation between networks of different trust levels.'),
    ('vulnerability', 'network', 'Unprotected public network connections',
     'Systems are reachable from public networks without filtering.'),
    ('vulnerability', 'personnel', 'Insufficient security training',
     'Staff do not know the security rules or how to apply them.'),
    ('vulnerability', 'personnel', 'Lack of security awareness',
     'Staff do not recognise threats such as phishing or tailgating.'),
    ('vulnerability', 'personnel', 'Inadequate screening',
     'People are hired or engaged without appropriate background checks.'),
    ('vulnerability', 'personnel', 'Unsupervised work by external staff',
     'Contractors, cleaners or visitors work without supervision.'),
    ('vulnerability', 'personnel', 'Dependence on key people',
     'Knowledge or duties rest on a few people without deputies.'),
    ('vulnerability', 'site', 'Inadequate physical access control',
     'Buildings and rooms can be entered without proper control.'),
    ('vulnerability', 'site', 'Location in a flood-prone area',
     'The site lies where floods are likely.'),
    ('vulnerability', 'site', 'Unstable power grid',
     'The local power supply is unreliable and not backed up.'),
    ('vulnerability', 'site', 'Weak protection of doors and windows',
     'Doors, windows and walls offer little resistance to intrusion.'),
    ('vulnerability', 'organization', 'No formal user registration and removal',
     'Accounts are created and removed without a formal procedure.'),
    ('vulnerability', 'organization', 'No review of access rights',
     'Access rights are not reviewed periodically.'),
    ('vulnerability', 'organization', 'Insufficient security clauses in contracts',
     'Contracts with suppliers, clients or staff lack security obligations.'),
    ('vulnerability', 'organization', 'No continuity plans',
     'No tested plans exist to keep or restore critical activities.'),
    ('vulnerability', 'organization', 'No change control',
     'Changes to systems and processes are made without assessment and approval.'),
    ('vulnerability', 'organization', 'No incident reporting procedure',
     'People do not know how to report security events and weaknesses.'),
    ('vulnerability', 'organization', 'Unclear security responsibilities',
     'Information security roles and responsibilities are not assigned.'),
    ('vulnerability', 'organization', 'No clear desk and clear screen rules',
     'Documents and unlocked screens are left unattended.');

-- ---------------------------------------------------------------------------
-- Risks. Stages: inherent (before any control), current (with the controls
-- in place) and residual (the target once the treatment is done). A
-- stage's likelihood and impact are given together or not at all; score,
-- level (a name of the matrix's risk_levels), above_appetite and
-- next_review are derived (risks_derive). next_review is last_reviewed_on
-- plus the review interval of the current level (the inherent one while
-- current is not assessed), and no later than the expiry of an acceptance
-- granted since the last review: an expired acceptance makes the risk due.

CREATE TABLE risks (
    tenant_id              uuid NOT NULL REFERENCES tenants (id),
    id                     uuid NOT NULL DEFAULT gen_random_uuid(),
    title                  text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description            text CHECK (char_length(description) <= 10000),
    category               text CHECK (char_length(category) BETWEEN 1 AND 100),
    owner_id               uuid,
    inherent_likelihood    smallint CHECK (inherent_likelihood BETWEEN 1 AND 7),
    inherent_impact        smallint CHECK (inherent_impact BETWEEN 1 AND 7),
    inherent_score         smallint,
    inherent_level         text,
    current_likelihood     smallint CHECK (current_likelihood BETWEEN 1 AND 7),
    current_impact         smallint CHECK (current_impact BETWEEN 1 AND 7),
    current_score          smallint,
    current_level          text,
    residual_likelihood    smallint CHECK (residual_likelihood BETWEEN 1 AND 7),
    residual_impact        smallint CHECK (residual_impact BETWEEN 1 AND 7),
    residual_score         smallint,
    residual_level         text,
    treatment              text CHECK (treatment IN ('modify', 'retain', 'avoid', 'share')),
    status                 text NOT NULL DEFAULT 'identified'
                           CHECK (status IN ('identified', 'assessed', 'treatment_planned',
                                             'treated', 'accepted', 'closed')),
    status_changed_at      timestamptz NOT NULL DEFAULT now(),
    last_reviewed_on       date NOT NULL DEFAULT current_date,
    next_review            date,
    above_appetite         boolean,
    -- The expiry of the last approved acceptance (kept after it expired:
    -- it bounds next_review until the next review).
    acceptance_expires_at  timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    created_by             uuid,
    updated_by             uuid,
    version                integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    -- A member who leaves leaves the risk without an owner; the activity
    -- log records it.
    CONSTRAINT risks_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE SET NULL (owner_id),
    CHECK ((inherent_likelihood IS NULL) = (inherent_impact IS NULL)),
    CHECK ((current_likelihood IS NULL) = (current_impact IS NULL)),
    CHECK ((residual_likelihood IS NULL) = (residual_impact IS NULL)),
    -- What each status needs (the service names the missing fields first).
    CHECK (status IN ('identified', 'closed')
           OR (inherent_likelihood IS NOT NULL AND current_likelihood IS NOT NULL)),
    CHECK (status NOT IN ('treatment_planned', 'treated')
           OR (treatment IS NOT NULL AND residual_likelihood IS NOT NULL)),
    CHECK (status <> 'accepted' OR acceptance_expires_at IS NOT NULL)
);

CREATE INDEX risks_page_idx ON risks (tenant_id, created_at, id);
CREATE INDEX risks_owner_idx ON risks (tenant_id, owner_id) WHERE owner_id IS NOT NULL;
CREATE INDEX risks_next_review_idx ON risks (tenant_id, next_review);
-- risks_expire_acceptances() looks here on every write.
CREATE INDEX risks_acceptance_expiry_idx ON risks (tenant_id, acceptance_expires_at)
    WHERE status = 'accepted';

CALL tenant_table_setup('risks');

GRANT SELECT, INSERT, UPDATE, DELETE ON risks TO isms_app;

-- What a risk is about. The links are tenant-inclusive: the database
-- itself refuses another tenant's asset. An asset that risks use cannot be
-- deleted (RESTRICT); archiving it is fine.
CREATE TABLE risk_assets (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    risk_id     uuid NOT NULL,
    asset_id    uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    updated_by  uuid,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, risk_id, asset_id),
    FOREIGN KEY (tenant_id, risk_id) REFERENCES risks (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT risk_assets_asset_fkey FOREIGN KEY (tenant_id, asset_id)
        REFERENCES assets (tenant_id, id) ON DELETE RESTRICT
);

CREATE INDEX risk_assets_asset_idx ON risk_assets (tenant_id, asset_id);

CALL tenant_table_setup('risk_assets', 'risk_id');
GRANT SELECT, INSERT, DELETE ON risk_assets TO isms_app;

CREATE TABLE risk_threats (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    risk_id     uuid NOT NULL,
    threat_id   uuid NOT NULL REFERENCES risk_catalog (id) ON DELETE RESTRICT,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid,
    updated_by  uuid,
    version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, risk_id, threat_id),
    FOREIGN KEY (tenant_id, risk_id) REFERENCES risks (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX risk_threats_threat_idx ON risk_threats (threat_id);

CALL tenant_table_setup('risk_threats', 'risk_id');
GRANT SELECT, INSERT, DELETE ON risk_threats TO isms_app;

CREATE TABLE risk_vulnerabilities (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    risk_id           uuid NOT NULL,
    vulnerability_id  uuid NOT NULL REFERENCES risk_catalog (id) ON DELETE RESTRICT,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid,
    updated_by        uuid,
    version           integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, risk_id, vulnerability_id),
    FOREIGN KEY (tenant_id, risk_id) REFERENCES risks (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX risk_vulnerabilities_vulnerability_idx ON risk_vulnerabilities (vulnerability_id);

CALL tenant_table_setup('risk_vulnerabilities', 'risk_id');
GRANT SELECT, INSERT, DELETE ON risk_vulnerabilities TO isms_app;

-- A link names a catalog entry of its kind that is global or the risk's
-- tenant's own. Checked on the row, not through row-level security, so it
-- holds for every role. TG_ARGV: the kind, the column holding the entry.
CREATE FUNCTION risk_catalog_link_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_entry uuid := (to_jsonb(NEW) ->> TG_ARGV[1])::uuid;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM risk_catalog c
                    WHERE c.id = v_entry AND c.kind = TG_ARGV[0]
                      AND (c.tenant_id IS NULL OR c.tenant_id = NEW.tenant_id)) THEN
        RAISE EXCEPTION '% is not a % of the catalog of this tenant', v_entry, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation', COLUMN = TG_ARGV[1];
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER catalog_link_check BEFORE INSERT OR UPDATE ON risk_threats
    FOR EACH ROW EXECUTE FUNCTION risk_catalog_link_check('threat', 'threat_id');
CREATE TRIGGER catalog_link_check BEFORE INSERT OR UPDATE ON risk_vulnerabilities
    FOR EACH ROW EXECUTE FUNCTION risk_catalog_link_check('vulnerability', 'vulnerability_id');

-- ---------------------------------------------------------------------------
-- The treatment plan: actions with an owner, a due date and a status;
-- completed_on is stamped when an action is done.

CREATE TABLE risk_treatments (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    risk_id       uuid NOT NULL,
    action        text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 2000),
    owner_id      uuid,
    due_date      date,
    status        text NOT NULL DEFAULT 'planned'
                  CHECK (status IN ('planned', 'in_progress', 'done', 'cancelled')),
    completed_on  date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    updated_by    uuid,
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, risk_id) REFERENCES risks (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT risk_treatments_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE SET NULL (owner_id),
    CHECK ((status = 'done') = (completed_on IS NOT NULL))
);

CREATE INDEX risk_treatments_risk_idx ON risk_treatments (tenant_id, risk_id, created_at, id);
CREATE INDEX risk_treatments_owner_idx ON risk_treatments (tenant_id, owner_id)
    WHERE owner_id IS NOT NULL;

CALL tenant_table_setup('risk_treatments');
GRANT SELECT, INSERT, UPDATE, DELETE ON risk_treatments TO isms_app;

CREATE FUNCTION risk_treatments_completion() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.status <> 'done' THEN
        NEW.completed_on := NULL;
    ELSIF TG_OP = 'INSERT' OR OLD.status <> 'done' THEN
        NEW.completed_on := current_date;
    ELSE
        NEW.completed_on := OLD.completed_on;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER completion BEFORE INSERT OR UPDATE ON risk_treatments
    FOR EACH ROW EXECUTE FUNCTION risk_treatments_completion();

-- The controls a treatment action implements or relies on. The foreign
-- key to the tenant's controls, (tenant_id, control_id) -> controls
-- (tenant_id, id), belongs to the migration that creates controls; until
-- then the ids are stored unchecked, and once the table exists the service
-- checks them before writing (risk_unknown_controls()).
CREATE TABLE risk_treatment_controls (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    treatment_id  uuid NOT NULL,
    control_id    uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    updated_by    uuid,
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, treatment_id, control_id),
    FOREIGN KEY (tenant_id, treatment_id) REFERENCES risk_treatments (tenant_id, id)
        ON DELETE CASCADE
);

-- "Which treatments rely on this control", and the future foreign key.
CREATE INDEX risk_treatment_controls_control_idx
    ON risk_treatment_controls (tenant_id, control_id);

CALL tenant_table_setup('risk_treatment_controls', 'treatment_id');
GRANT SELECT, INSERT, DELETE ON risk_treatment_controls TO isms_app;

-- ---------------------------------------------------------------------------
-- Acceptance of a risk (ISO/IEC 27005:2022 8.6.3): requested with a
-- justification, then approved (with an expiry) or rejected by an admin
-- other than the requester, with a justification of the decision. A
-- decision is final. requested_by and decided_by are the acting user, or
-- the API key for an integrator (hence no foreign key to users).

CREATE TABLE risk_acceptances (
    tenant_id               uuid NOT NULL REFERENCES tenants (id),
    id                      uuid NOT NULL DEFAULT gen_random_uuid(),
    risk_id                 uuid NOT NULL,
    requested_by            uuid NOT NULL,
    requested_at            timestamptz NOT NULL DEFAULT now(),
    justification           text NOT NULL CHECK (char_length(justification) BETWEEN 1 AND 2000),
    decision                text CHECK (decision IN ('approved', 'rejected')),
    decided_by              uuid,
    decided_at              timestamptz,
    decision_justification  text CHECK (char_length(decision_justification) BETWEEN 1 AND 2000),
    expires_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    created_by              uuid,
    updated_by              uuid,
    version                 integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, risk_id) REFERENCES risks (tenant_id, id) ON DELETE CASCADE,
    CHECK ((decision IS NULL) = (decided_by IS NULL)
           AND (decision IS NULL) = (decided_at IS NULL)
           AND (decision IS NULL) = (decision_justification IS NULL)),
    -- Four eyes.
    CHECK (decided_by <> requested_by),
    -- Only an approval expires, and after it was given.
    CHECK (CASE decision WHEN 'approved' THEN expires_at > decided_at
                         ELSE expires_at IS NULL END)
);

-- One open request per risk.
CREATE UNIQUE INDEX risk_acceptances_pending_key ON risk_acceptances (tenant_id, risk_id)
    WHERE decision IS NULL;
CREATE INDEX risk_acceptances_risk_idx ON risk_acceptances (tenant_id, risk_id, created_at, id);

CALL tenant_table_setup('risk_acceptances');

-- A request is written once; only the decision's columns change, once.
GRANT SELECT, INSERT ON risk_acceptances TO isms_app;
GRANT UPDATE (decision, decided_by, decided_at, decision_justification, expires_at)
    ON risk_acceptances TO isms_app;

CREATE FUNCTION risk_acceptances_final() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF OLD.decision IS NOT NULL THEN
        RAISE EXCEPTION 'The acceptance was already %; a decision is final.', OLD.decision
            USING ERRCODE = 'IS409';
    END IF;
    -- The service's route admits admins only; this holds for every writer
    -- that acts in a request's context.
    IF NEW.decision IS NOT NULL AND app_role() IS DISTINCT FROM 'admin'
       AND app_role() IS NOT NULL THEN
        RAISE EXCEPTION 'Only an admin decides on a risk acceptance.'
            USING ERRCODE = 'IS403';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER final BEFORE UPDATE ON risk_acceptances
    FOR EACH ROW EXECUTE FUNCTION risk_acceptances_final();

-- ---------------------------------------------------------------------------
-- Evaluation against the matrix.

-- The risk level named p_name, as {name, colour, rank, review_interval_days}.
CREATE FUNCTION risk_level_of(m risk_matrices, p_name text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT l FROM jsonb_array_elements(m.risk_levels) l WHERE l ->> 'name' = p_name $$;

-- The level as a risk shows it: {name, colour, rank}, or null.
CREATE FUNCTION risk_level_json(m risk_matrices, p_name text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT risk_level_of(m, p_name) - 'review_interval_days' $$;

-- p with its derived columns computed on matrix m: each stage's score and
-- level, above_appetite and next_review (see the risks table).
CREATE FUNCTION risk_evaluate(p risks, m risk_matrices) RETURNS risks
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_level   text;
    v_base    date;
    v_expiry  date;
BEGIN
    p.inherent_score := p.inherent_likelihood * p.inherent_impact;
    p.inherent_level := m.grid -> (p.inherent_likelihood - 1) ->> (p.inherent_impact - 1);
    p.current_score := p.current_likelihood * p.current_impact;
    p.current_level := m.grid -> (p.current_likelihood - 1) ->> (p.current_impact - 1);
    p.residual_score := p.residual_likelihood * p.residual_impact;
    p.residual_level := m.grid -> (p.residual_likelihood - 1) ->> (p.residual_impact - 1);

    v_level := coalesce(p.current_level, p.inherent_level);
    p.above_appetite := (risk_level_of(m, v_level) ->> 'rank')::int
                        > (risk_level_of(m, m.acceptance_threshold) ->> 'rank')::int;
    v_base := p.last_reviewed_on + (risk_level_of(m, v_level) ->> 'review_interval_days')::int;
    v_expiry := (p.acceptance_expires_at AT TIME ZONE 'UTC')::date;
    p.next_review := CASE WHEN v_expiry > p.last_reviewed_on THEN least(v_base, v_expiry)
                          ELSE v_base END;
    RETURN p;
END
$$;

-- The status table; a status may always stay what it is.
CREATE FUNCTION risk_transition_allowed(p_from text, p_to text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT p_from = p_to
        OR (p_to = 'closed' AND p_from <> 'closed')
        OR (p_from, p_to) IN (('identified', 'assessed'),
                              ('assessed', 'treatment_planned'),
                              ('assessed', 'accepted'),
                              ('treatment_planned', 'treated'),
                              ('treated', 'accepted'),
                              ('accepted', 'assessed'))
$$;

-- The statuses p_from may change to, for messages.
CREATE FUNCTION risk_transitions_from(p_from text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(string_agg(s, ', ' ORDER BY n), 'none')
      FROM unnest(ARRAY['identified', 'assessed', 'treatment_planned', 'treated',
                        'accepted', 'closed']) WITH ORDINALITY x(s, n)
     WHERE s <> p_from AND risk_transition_allowed(p_from, s)
$$;

-- The status a reader sees: an accepted risk whose acceptance expired is
-- back to assessed, whether or not a write has persisted that yet.
CREATE FUNCTION risk_status(r risks) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN r.status = 'accepted' AND r.acceptance_expires_at <= now()
                THEN 'assessed' ELSE r.status END
$$;

-- Derives the evaluation and guards the status on every write of a risk.
CREATE FUNCTION risks_derive() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_matrix risk_matrices;
BEGIN
    SELECT * INTO v_matrix FROM risk_matrices m WHERE m.tenant_id = NEW.tenant_id;
    NEW.last_reviewed_on := coalesce(NEW.last_reviewed_on, current_date);
    NEW := risk_evaluate(NEW, v_matrix);
    IF (NEW.inherent_likelihood IS NOT NULL AND NEW.inherent_level IS NULL)
       OR (NEW.current_likelihood IS NOT NULL AND NEW.current_level IS NULL)
       OR (NEW.residual_likelihood IS NOT NULL AND NEW.residual_level IS NULL) THEN
        RAISE EXCEPTION 'A likelihood or impact lies outside the tenant''s risk matrix.'
            USING ERRCODE = 'IS422';
    END IF;
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        IF TG_OP = 'UPDATE' AND NOT risk_transition_allowed(OLD.status, NEW.status) THEN
            RAISE EXCEPTION 'A risk cannot change from % to %.', OLD.status, NEW.status
                USING ERRCODE = 'IS409';
        END IF;
        IF NEW.status = 'accepted' AND NOT EXISTS (
            SELECT 1 FROM risk_acceptances a
             WHERE a.tenant_id = NEW.tenant_id AND a.risk_id = NEW.id
               AND a.decision = 'approved' AND a.expires_at = NEW.acceptance_expires_at
               AND a.expires_at > now()) THEN
            RAISE EXCEPTION 'A risk is accepted only through an approved, unexpired acceptance.'
                USING ERRCODE = 'IS409';
        END IF;
        NEW.status_changed_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER derive BEFORE INSERT OR UPDATE ON risks
    FOR EACH ROW EXECUTE FUNCTION risks_derive();

-- Persists the expiry of acceptances: the context tenant's accepted risks
-- whose acceptance expired go back to assessed. Run first by every write
-- function below; the index on (tenant_id, acceptance_expires_at) makes it
-- one index probe when nothing expired.
CREATE FUNCTION risks_expire_acceptances() RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_count integer;
BEGIN
    UPDATE risks r SET status = 'assessed'
     WHERE r.tenant_id = app_tenant_id() AND r.status = 'accepted'
       AND r.acceptance_expires_at <= now();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

-- ---------------------------------------------------------------------------
-- Representations: every read and write of the service answers with these,
-- so a record looks the same whichever way it was fetched.

-- pending, approved, rejected, or expired (approved, and past expires_at).
CREATE FUNCTION risk_acceptance_state(a risk_acceptances) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN a.decision IS NULL THEN 'pending'
                WHEN a.decision = 'approved' AND a.expires_at <= now() THEN 'expired'
                ELSE a.decision END
$$;

CREATE FUNCTION risk_json(r risks, m risk_matrices) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'title', r.title, 'description', r.description,
        'category', r.category, 'owner_id', r.owner_id,
        'asset_ids', coalesce((SELECT jsonb_agg(a.asset_id ORDER BY a.asset_id)
                                 FROM risk_assets a
                                WHERE a.tenant_id = r.tenant_id AND a.risk_id = r.id), '[]'),
        'threat_ids', coalesce((SELECT jsonb_agg(t.threat_id ORDER BY t.threat_id)
                                  FROM risk_threats t
                                 WHERE t.tenant_id = r.tenant_id AND t.risk_id = r.id), '[]'),
        'vulnerability_ids', coalesce((SELECT jsonb_agg(v.vulnerability_id
                                                        ORDER BY v.vulnerability_id)
                                         FROM risk_vulnerabilities v
                                        WHERE v.tenant_id = r.tenant_id AND v.risk_id = r.id),
                                      '[]'),
        'inherent_likelihood', r.inherent_likelihood, 'inherent_impact', r.inherent_impact,
        'inherent_score', r.inherent_score,
        'inherent_level', risk_level_json(m, r.inherent_level),
        'current_likelihood', r.current_likelihood, 'current_impact', r.current_impact,
        'current_score', r.current_score,
        'current_level', risk_level_json(m, r.current_level),
        'residual_likelihood', r.residual_likelihood, 'residual_impact', r.residual_impact,
        'residual_score', r.residual_score,
        'residual_level', risk_level_json(m, r.residual_level),
        'treatment', r.treatment,
        'status', risk_status(r),
        'status_changed_at', risk_ts(CASE WHEN risk_status(r) = r.status THEN r.status_changed_at
                                          ELSE r.acceptance_expires_at END),
        'above_appetite', r.above_appetite,
        'last_reviewed_on', r.last_reviewed_on,
        'next_review', r.next_review,
        'review_overdue', coalesce(r.next_review < current_date, false),
        'acceptance', (SELECT jsonb_build_object(
                                  'id', a.id, 'state', risk_acceptance_state(a),
                                  'expires_at', risk_ts(a.expires_at))
                         FROM risk_acceptances a
                        WHERE a.tenant_id = r.tenant_id AND a.risk_id = r.id
                        ORDER BY a.requested_at DESC, a.id DESC LIMIT 1),
        'version', r.version,
        'created_at', risk_ts(r.created_at), 'updated_at', risk_ts(r.updated_at),
        'created_by', r.created_by, 'updated_by', r.updated_by)
$$;

CREATE FUNCTION risk_treatment_json(t risk_treatments) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', t.id, 'risk_id', t.risk_id, 'action', t.action,
        'control_ids', coalesce((SELECT jsonb_agg(c.control_id ORDER BY c.control_id)
                                   FROM risk_treatment_controls c
                                  WHERE c.tenant_id = t.tenant_id
                                    AND c.treatment_id = t.id), '[]'),
        'owner_id', t.owner_id, 'due_date', t.due_date, 'status', t.status,
        'completed_on', t.completed_on,
        'overdue', coalesce(t.status IN ('planned', 'in_progress') AND t.due_date < current_date,
                            false),
        'version', t.version,
        'created_at', risk_ts(t.created_at), 'updated_at', risk_ts(t.updated_at),
        'created_by', t.created_by, 'updated_by', t.updated_by)
$$;

CREATE FUNCTION risk_acceptance_json(a risk_acceptances) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'id', a.id, 'risk_id', a.risk_id, 'state', risk_acceptance_state(a),
        'requested_by', a.requested_by, 'requested_at', risk_ts(a.requested_at),
        'justification', a.justification, 'decision', a.decision,
        'decided_by', a.decided_by, 'decided_at', risk_ts(a.decided_at),
        'decision_justification', a.decision_justification,
        'expires_at', risk_ts(a.expires_at),
        'version', a.version,
        'created_at', risk_ts(a.created_at), 'updated_at', risk_ts(a.updated_at))
$$;

CREATE FUNCTION risk_matrix_json(m risk_matrices) RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT jsonb_build_object(
        'likelihood_levels', m.likelihood_levels, 'impact_levels', m.impact_levels,
        'risk_levels', m.risk_levels, 'grid', m.grid,
        'acceptance_threshold', m.acceptance_threshold,
        'version', m.version,
        'created_at', risk_ts(m.created_at), 'updated_at', risk_ts(m.updated_at),
        'updated_by', m.updated_by)
$$;

-- ---------------------------------------------------------------------------
-- Writes. Each function does one request's work in one round trip and
-- answers with an outcome the service maps to a status:
--   ok / created, not_found (404), no_risk (404: the risk a treatment or
--   acceptance belongs to), stale (412, If-Match), conflict (409, the
--   message in problems[0]), invalid (422, problems lists the fields),
--   forbidden (403).

-- The JSON array p_body -> p_key as uuid[], in order.
CREATE FUNCTION risk_uuids(p_body jsonb, p_key text) RETURNS uuid[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(array_agg(x::uuid ORDER BY n), '{}')
      FROM jsonb_array_elements_text(p_body -> p_key) WITH ORDINALITY e(x, n)
$$;

-- One {field, message} per id of p_ids that is not in p_known:
-- field "<p_field>[index]".
CREATE FUNCTION risk_unknown_ids(p_ids uuid[], p_known uuid[], p_field text, p_message text)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('field', format('%s[%s]', p_field, n - 1),
                                                 'message', p_message) ORDER BY n), '[]')
      FROM unnest(p_ids) WITH ORDINALITY x(id, n)
     WHERE x.id <> ALL (coalesce(p_known, '{}'))
$$;

-- The ids among p_ids that are not controls of the context tenant; none
-- while the controls table does not exist yet (see risk_treatment_controls).
CREATE FUNCTION risk_unknown_controls(p_ids uuid[]) RETURNS uuid[]
    LANGUAGE plpgsql STABLE
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_unknown uuid[];
BEGIN
    IF cardinality(p_ids) = 0 OR to_regclass('public.controls') IS NULL THEN
        RETURN '{}';
    END IF;
    EXECUTE 'SELECT coalesce(array_agg(x), ''{}'') FROM unnest($1) x'
            ' WHERE NOT EXISTS (SELECT 1 FROM public.controls c'
            '                    WHERE c.tenant_id = app_tenant_id() AND c.id = x)'
       INTO v_unknown USING p_ids;
    RETURN v_unknown;
END
$$;

-- Creates (p_id NULL) or changes a risk: p_body holds the API's writable
-- fields (JSON merge semantics on a change) and optionally asset_ids,
-- threat_ids and vulnerability_ids, each replacing the risk's links.
-- p_version is If-Match's version (0: none).
CREATE FUNCTION risk_save(p_id uuid, p_body jsonb, p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, risk jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    c_writable CONSTANT text[] := ARRAY[
        'title', 'description', 'category', 'owner_id',
        'inherent_likelihood', 'inherent_impact', 'current_likelihood', 'current_impact',
        'residual_likelihood', 'residual_impact', 'treatment', 'status', 'last_reviewed_on'];
    v_tenant    uuid := app_tenant_id();
    v_matrix    risk_matrices;
    v_old       risks;
    v_new       risks;
    v_from      text;
    v_assets    uuid[];
    v_threats   uuid[];
    v_vulns     uuid[];
    v_problems  jsonb := '[]';
    v_nl        integer;
    v_ni        integer;
BEGIN
    PERFORM risks_expire_acceptances();
    -- A concurrent matrix change waits for this write, or this one for it.
    SELECT * INTO v_matrix FROM risk_matrices m WHERE m.tenant_id = v_tenant FOR SHARE;
    v_nl := jsonb_array_length(v_matrix.likelihood_levels);
    v_ni := jsonb_array_length(v_matrix.impact_levels);

    IF p_id IS NULL THEN
        v_new := jsonb_populate_record(NULL::risks,
                     (SELECT coalesce(jsonb_object_agg(key, value), '{}')
                        FROM jsonb_each(p_body) WHERE key = ANY (c_writable)));
        v_new.tenant_id := v_tenant;
        v_new.id := gen_random_uuid();
        v_new.status := coalesce(v_new.status, 'identified');
    ELSE
        SELECT * INTO v_old FROM risks r WHERE r.tenant_id = v_tenant AND r.id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        IF p_version <> 0 AND v_old.version <> p_version THEN
            RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb;
            RETURN;
        END IF;
        v_from := v_old.status;
        v_new := jsonb_populate_record(v_old,
                     (SELECT coalesce(jsonb_object_agg(key, value), '{}')
                        FROM jsonb_each(p_body) WHERE key = ANY (c_writable)));
    END IF;

    -- The status first: a refused transition is a conflict, whatever else.
    IF p_id IS NOT NULL AND v_new.status = 'accepted' AND v_from <> 'accepted' THEN
        RETURN QUERY SELECT 'conflict'::text, jsonb_build_array(jsonb_build_object(
            'field', 'status', 'message',
            'A risk becomes accepted only when an admin approves its acceptance'
            ' (POST /api/v1/risks/{id}/acceptance).')), v_old.version, NULL::jsonb;
        RETURN;
    END IF;
    IF p_id IS NOT NULL AND NOT risk_transition_allowed(v_from, v_new.status) THEN
        RETURN QUERY SELECT 'conflict'::text, jsonb_build_array(jsonb_build_object(
            'field', 'status', 'message',
            format('The risk cannot go from %s to %s; from %s it may become: %s.',
                   v_from, v_new.status, v_from, risk_transitions_from(v_from)))),
            v_old.version, NULL::jsonb;
        RETURN;
    END IF;
    IF p_id IS NULL AND v_new.status IN ('accepted', 'closed') THEN
        v_problems := v_problems || jsonb_build_object('field', 'status', 'message',
            'a new risk starts as identified, assessed, treatment_planned or treated');
    END IF;

    -- The links: what the body names (or, on a change, what is stored).
    IF p_id IS NULL OR p_body ? 'asset_ids' THEN
        v_assets := risk_uuids(p_body, 'asset_ids');
        IF cardinality(v_assets) = 0 THEN
            v_problems := v_problems || jsonb_build_object('field', 'asset_ids', 'message',
                'must name at least one asset');
        END IF;
        v_problems := v_problems || risk_unknown_ids(v_assets,
            ARRAY(SELECT a.id FROM assets a WHERE a.tenant_id = v_tenant AND a.id = ANY (v_assets)
                     AND (a.archived_at IS NULL
                          OR EXISTS (SELECT 1 FROM risk_assets l
                                      WHERE l.tenant_id = v_tenant AND l.risk_id = p_id
                                        AND l.asset_id = a.id))),
            'asset_ids', 'must be an asset of this tenant that is not archived');
    END IF;
    IF p_body ? 'threat_ids' THEN
        v_threats := risk_uuids(p_body, 'threat_ids');
        v_problems := v_problems || risk_unknown_ids(v_threats,
            ARRAY(SELECT c.id FROM risk_catalog c
                   WHERE c.id = ANY (v_threats) AND c.kind = 'threat'
                     AND (c.tenant_id IS NULL OR c.tenant_id = v_tenant)),
            'threat_ids', 'must be a threat of the catalog (GET /api/v1/threats)');
    END IF;
    IF p_body ? 'vulnerability_ids' THEN
        v_vulns := risk_uuids(p_body, 'vulnerability_ids');
        v_problems := v_problems || risk_unknown_ids(v_vulns,
            ARRAY(SELECT c.id FROM risk_catalog c
                   WHERE c.id = ANY (v_vulns) AND c.kind = 'vulnerability'
                     AND (c.tenant_id IS NULL OR c.tenant_id = v_tenant)),
            'vulnerability_ids',
            'must be a vulnerability of the catalog (GET /api/v1/vulnerabilities)');
    END IF;

    IF v_new.owner_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memberships mb WHERE mb.tenant_id = v_tenant AND mb.user_id = v_new.owner_id) THEN
        v_problems := v_problems || jsonb_build_object('field', 'owner_id', 'message',
            'must be a member of this tenant');
    END IF;

    -- Each stage: likelihood and impact together, within the matrix.
    v_problems := v_problems || coalesce((
        SELECT jsonb_agg(jsonb_build_object('field', p.field, 'message', p.message) ORDER BY p.k)
          FROM (VALUES ('inherent', 1, v_new.inherent_likelihood, v_new.inherent_impact),
                       ('current', 2, v_new.current_likelihood, v_new.current_impact),
                       ('residual', 3, v_new.residual_likelihood, v_new.residual_impact))
               s(stage, n, l, i),
       LATERAL (VALUES
               (s.n * 10 + 1, s.stage || '_impact',
                format('must be given together with %s_likelihood', s.stage),
                s.l IS NOT NULL AND s.i IS NULL),
               (s.n * 10 + 2, s.stage || '_likelihood',
                format('must be given together with %s_impact', s.stage),
                s.l IS NULL AND s.i IS NOT NULL),
               (s.n * 10 + 3, s.stage || '_likelihood',
                format('must be from 1 to %s (the likelihood levels of the risk matrix)', v_nl),
                s.l > v_nl),
               (s.n * 10 + 4, s.stage || '_impact',
                format('must be from 1 to %s (the impact levels of the risk matrix)', v_ni),
                s.i > v_ni)) p(k, field, message, bad)
         WHERE p.bad), '[]');

    -- What the status needs.
    IF v_new.status IN ('assessed', 'treatment_planned', 'treated', 'accepted') THEN
        IF v_new.inherent_likelihood IS NULL AND v_new.inherent_impact IS NULL THEN
            v_problems := v_problems || jsonb_build_object('field', 'inherent_likelihood',
                'message', format('is required for a %s risk (with inherent_impact)', v_new.status));
        END IF;
        IF v_new.current_likelihood IS NULL AND v_new.current_impact IS NULL THEN
            v_problems := v_problems || jsonb_build_object('field', 'current_likelihood',
                'message', format('is required for a %s risk (with current_impact)', v_new.status));
        END IF;
    END IF;
    IF v_new.status IN ('treatment_planned', 'treated') THEN
        IF v_new.treatment IS NULL THEN
            v_problems := v_problems || jsonb_build_object('field', 'treatment',
                'message', format('is required for a %s risk', v_new.status));
        END IF;
        IF v_new.residual_likelihood IS NULL AND v_new.residual_impact IS NULL THEN
            v_problems := v_problems || jsonb_build_object('field', 'residual_likelihood',
                'message', format('is required for a %s risk (with residual_impact)', v_new.status));
        END IF;
    END IF;
    IF v_new.status = 'treated' AND v_from IS DISTINCT FROM 'treated' AND EXISTS (
        SELECT 1 FROM risk_treatments t
         WHERE t.tenant_id = v_tenant AND t.risk_id = p_id
           AND t.status IN ('planned', 'in_progress')) THEN
        v_problems := v_problems || jsonb_build_object('field', 'status', 'message',
            'the treatment plan still has planned or in-progress actions');
    END IF;
    IF v_new.last_reviewed_on > current_date THEN
        v_problems := v_problems || jsonb_build_object('field', 'last_reviewed_on',
            'message', 'must not be in the future');
    END IF;

    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN QUERY SELECT 'invalid'::text, v_problems, v_old.version, NULL::jsonb;
        RETURN;
    END IF;

    IF p_id IS NULL THEN
        INSERT INTO risks SELECT v_new.*;
    ELSE
        UPDATE risks r
           SET (title, description, category, owner_id, inherent_likelihood, inherent_impact,
                current_likelihood, current_impact, residual_likelihood, residual_impact,
                treatment, status, last_reviewed_on)
             = (v_new.title, v_new.description, v_new.category, v_new.owner_id,
                v_new.inherent_likelihood, v_new.inherent_impact, v_new.current_likelihood,
                v_new.current_impact, v_new.residual_likelihood, v_new.residual_impact,
                v_new.treatment, v_new.status, v_new.last_reviewed_on)
         WHERE r.tenant_id = v_tenant AND r.id = p_id;
    END IF;

    -- Links: only the differences are written (and logged).
    IF v_assets IS NOT NULL THEN
        DELETE FROM risk_assets l WHERE l.tenant_id = v_tenant AND l.risk_id = v_new.id
                                    AND l.asset_id <> ALL (v_assets);
        INSERT INTO risk_assets (tenant_id, risk_id, asset_id)
             SELECT v_tenant, v_new.id, x FROM unnest(v_assets) x
        ON CONFLICT DO NOTHING;
    END IF;
    IF v_threats IS NOT NULL THEN
        DELETE FROM risk_threats l WHERE l.tenant_id = v_tenant AND l.risk_id = v_new.id
                                     AND l.threat_id <> ALL (v_threats);
        INSERT INTO risk_threats (tenant_id, risk_id, threat_id)
             SELECT v_tenant, v_new.id, x FROM unnest(v_threats) x
        ON CONFLICT DO NOTHING;
    END IF;
    IF v_vulns IS NOT NULL THEN
        DELETE FROM risk_vulnerabilities l WHERE l.tenant_id = v_tenant AND l.risk_id = v_new.id
                                             AND l.vulnerability_id <> ALL (v_vulns);
        INSERT INTO risk_vulnerabilities (tenant_id, risk_id, vulnerability_id)
             SELECT v_tenant, v_new.id, x FROM unnest(v_vulns) x
        ON CONFLICT DO NOTHING;
    END IF;

    RETURN QUERY
        SELECT CASE WHEN p_id IS NULL THEN 'created' ELSE 'ok' END, NULL::jsonb, r.version,
               risk_json(r, v_matrix)
          FROM risks r WHERE r.tenant_id = v_tenant AND r.id = v_new.id;
END
$$;

-- Creates (p_id NULL) or changes an action of risk p_risk's treatment
-- plan; control_ids, when given, replaces the action's controls.
CREATE FUNCTION risk_treatment_save(p_risk uuid, p_id uuid, p_body jsonb, p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, treatment jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    c_writable CONSTANT text[] := ARRAY['action', 'owner_id', 'due_date', 'status'];
    v_tenant    uuid := app_tenant_id();
    v_old       risk_treatments;
    v_new       risk_treatments;
    v_controls  uuid[];
    v_unknown   uuid[];
    v_problems  jsonb := '[]';
BEGIN
    PERFORM 1 FROM risks r WHERE r.tenant_id = v_tenant AND r.id = p_risk FOR KEY SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'no_risk'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    IF p_id IS NULL THEN
        v_new := jsonb_populate_record(NULL::risk_treatments,
                     (SELECT coalesce(jsonb_object_agg(key, value), '{}')
                        FROM jsonb_each(p_body) WHERE key = ANY (c_writable)));
        v_new.tenant_id := v_tenant;
        v_new.id := gen_random_uuid();
        v_new.risk_id := p_risk;
        v_new.status := coalesce(v_new.status, 'planned');
    ELSE
        SELECT * INTO v_old FROM risk_treatments t
         WHERE t.tenant_id = v_tenant AND t.risk_id = p_risk AND t.id = p_id FOR UPDATE;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
        IF p_version <> 0 AND v_old.version <> p_version THEN
            RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb;
            RETURN;
        END IF;
        v_new := jsonb_populate_record(v_old,
                     (SELECT coalesce(jsonb_object_agg(key, value), '{}')
                        FROM jsonb_each(p_body) WHERE key = ANY (c_writable)));
    END IF;

    IF v_new.owner_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM memberships mb WHERE mb.tenant_id = v_tenant AND mb.user_id = v_new.owner_id) THEN
        v_problems := v_problems || jsonb_build_object('field', 'owner_id', 'message',
            'must be a member of this tenant');
    END IF;
    IF p_body ? 'control_ids' THEN
        v_controls := risk_uuids(p_body, 'control_ids');
        v_unknown := risk_unknown_controls(v_controls);
        v_problems := v_problems || risk_unknown_ids(v_controls,
            ARRAY(SELECT x FROM unnest(v_controls) x WHERE x <> ALL (v_unknown)),
            'control_ids', 'must be a control of this tenant');
    END IF;
    IF jsonb_array_length(v_problems) > 0 THEN
        RETURN QUERY SELECT 'invalid'::text, v_problems, v_old.version, NULL::jsonb;
        RETURN;
    END IF;

    IF p_id IS NULL THEN
        INSERT INTO risk_treatments SELECT v_new.*;
    ELSE
        UPDATE risk_treatments t
           SET (action, owner_id, due_date, status)
             = (v_new.action, v_new.owner_id, v_new.due_date, v_new.status)
         WHERE t.tenant_id = v_tenant AND t.id = p_id;
    END IF;
    IF v_controls IS NOT NULL THEN
        DELETE FROM risk_treatment_controls c
         WHERE c.tenant_id = v_tenant AND c.treatment_id = v_new.id
           AND c.control_id <> ALL (v_controls);
        INSERT INTO risk_treatment_controls (tenant_id, treatment_id, control_id)
             SELECT v_tenant, v_new.id, x FROM unnest(v_controls) x
        ON CONFLICT DO NOTHING;
    END IF;

    RETURN QUERY
        SELECT CASE WHEN p_id IS NULL THEN 'created' ELSE 'ok' END, NULL::jsonb, t.version,
               risk_treatment_json(t)
          FROM risk_treatments t WHERE t.tenant_id = v_tenant AND t.id = v_new.id;
END
$$;

-- Requests the acceptance of risk p_risk, which must be assessed or
-- treated and have no open request.
CREATE FUNCTION risk_acceptance_request(p_risk uuid, p_justification text)
    RETURNS TABLE (outcome text, problems jsonb, version integer, acceptance jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v_tenant  uuid := app_tenant_id();
    v_risk    risks;
    v_new     risk_acceptances;
BEGIN
    PERFORM risks_expire_acceptances();
    SELECT * INTO v_risk FROM risks r WHERE r.tenant_id = v_tenant AND r.id = p_risk FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'no_risk'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    IF v_risk.status NOT IN ('assessed', 'treated') THEN
        RETURN QUERY SELECT 'conflict'::text, jsonb_build_array(jsonb_build_object(
            'field', 'status', 'message',
            format('Only an assessed or treated risk can be accepted; this one is %s.',
                   v_risk.status))), NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM risk_acceptances a
                WHERE a.tenant_id = v_tenant AND a.risk_id = p_risk AND a.decision IS NULL) THEN
        RETURN QUERY SELECT 'conflict'::text, jsonb_build_array(jsonb_build_object(
            'field', 'status', 'message',
            'An acceptance of this risk is already waiting for a decision.')),
            NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    INSERT INTO risk_acceptances (tenant_id, risk_id, requested_by, justification)
         VALUES (v_tenant, p_risk, app_user_id(), p_justification)
      RETURNING * INTO v_new;
    RETURN QUERY SELECT 'created'::text, NULL::jsonb, v_new.version, risk_acceptance_json(v_new);
END
$$;

-- Decides the open acceptance request of risk p_risk: 'approved' (with
-- p_expires_at, in the future and at most three years ahead: a
-- certification cycle) sets the risk accepted; 'rejected' leaves it as it
-- is. The decider must not be the requester.
CREATE FUNCTION risk_acceptance_decide(p_risk uuid, p_decision text, p_justification text,
                                       p_expires_at timestamptz)
    RETURNS TABLE (outcome text, problems jsonb, version integer, acceptance jsonb)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v_tenant  uuid := app_tenant_id();
    v_risk    risks;
    v_req     risk_acceptances;
BEGIN
    PERFORM risks_expire_acceptances();
    SELECT * INTO v_risk FROM risks r WHERE r.tenant_id = v_tenant AND r.id = p_risk FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'no_risk'::text, NULL::jsonb, NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    SELECT * INTO v_req FROM risk_acceptances a
     WHERE a.tenant_id = v_tenant AND a.risk_id = p_risk AND a.decision IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'conflict'::text, jsonb_build_array(jsonb_build_object(
            'field', 'decision', 'message',
            'No acceptance of this risk is waiting for a decision.')), NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    IF v_req.requested_by = app_user_id() THEN
        RETURN QUERY SELECT 'forbidden'::text, jsonb_build_array(jsonb_build_object(
            'field', 'decision', 'message',
            'The requester of an acceptance cannot decide on it; another admin must.')),
            NULL::integer, NULL::jsonb;
        RETURN;
    END IF;
    IF p_decision = 'approved' THEN
        IF p_expires_at <= now() OR p_expires_at > now() + interval '3 years' THEN
            RETURN QUERY SELECT 'invalid'::text, jsonb_build_array(jsonb_build_object(
                'field', 'expires_at', 'message',
                'must be in the future and at most three years ahead')), NULL::integer,
                NULL::jsonb;
            RETURN;
        END IF;
        IF v_risk.status NOT IN ('assessed', 'treated') THEN
            RETURN QUERY SELECT 'conflict'::text, jsonb_build_array(jsonb_build_object(
                'field', 'decision', 'message',
                format('Only an assessed or treated risk can be accepted; this one is %s now.',
                       v_risk.status))), NULL::integer, NULL::jsonb;
            RETURN;
        END IF;
    END IF;
    UPDATE risk_acceptances a
       SET decision = p_decision, decided_by = app_user_id(), decided_at = now(),
           decision_justification = p_justification,
           expires_at = CASE WHEN p_decision = 'approved' THEN p_expires_at END
     WHERE a.tenant_id = v_tenant AND a.id = v_req.id
     RETURNING * INTO v_req;
    IF p_decision = 'approved' THEN
        UPDATE risks r SET status = 'accepted', acceptance_expires_at = p_expires_at
         WHERE r.tenant_id = v_tenant AND r.id = p_risk;
    END IF;
    RETURN QUERY SELECT 'ok'::text, NULL::jsonb, v_req.version, risk_acceptance_json(v_req);
END
$$;

-- Replaces the context tenant's matrix and re-evaluates every risk on it
-- in one statement. p_body is the validated API body (levels without
-- `value`, which is their position). A matrix without a likelihood or
-- impact value that a risk uses is refused: outcome 'invalid', one
-- {field, message} per affected risk (at most 100). Level names are never
-- orphaned: every risk's levels are recomputed from the new grid.
CREATE FUNCTION risk_matrix_put(p_body jsonb, p_version integer)
    RETURNS TABLE (outcome text, problems jsonb, version integer, matrix jsonb,
                   risks_reevaluated integer)
    LANGUAGE plpgsql VOLATILE
    SET search_path = public, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    v_tenant    uuid := app_tenant_id();
    v_old       risk_matrices;
    v_new       risk_matrices;
    v_nl        integer := jsonb_array_length(p_body -> 'likelihood_levels');
    v_ni        integer := jsonb_array_length(p_body -> 'impact_levels');
    v_orphans   jsonb;
    v_count     integer;
BEGIN
    PERFORM risks_expire_acceptances();
    SELECT * INTO v_old FROM risk_matrices m WHERE m.tenant_id = v_tenant FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, NULL::integer, NULL::jsonb, 0;
        RETURN;
    END IF;
    IF p_version <> 0 AND v_old.version <> p_version THEN
        RETURN QUERY SELECT 'stale'::text, NULL::jsonb, v_old.version, NULL::jsonb, 0;
        RETURN;
    END IF;

    SELECT jsonb_agg(o.problem ORDER BY o.n) INTO v_orphans
      FROM (SELECT x.problem, row_number() OVER (ORDER BY x.kind, r.created_at, r.id) AS n
              FROM risks r,
           LATERAL (VALUES
                   (1, greatest(r.inherent_likelihood, r.current_likelihood,
                                r.residual_likelihood) > v_nl,
                    jsonb_build_object('field', 'likelihood_levels', 'message',
                        format('risk %s (%s) uses likelihood %s', r.id, r.title,
                               greatest(r.inherent_likelihood, r.current_likelihood,
                                        r.residual_likelihood)))),
                   (2, greatest(r.inherent_impact, r.current_impact, r.residual_impact) > v_ni,
                    jsonb_build_object('field', 'impact_levels', 'message',
                        format('risk %s (%s) uses impact %s', r.id, r.title,
                               greatest(r.inherent_impact, r.current_impact,
                                        r.residual_impact))))) x(kind, bad, problem)
             WHERE r.tenant_id = v_tenant AND x.bad
             ORDER BY n LIMIT 100) o;
    IF v_orphans IS NOT NULL THEN
        RETURN QUERY SELECT 'invalid'::text, v_orphans, v_old.version, NULL::jsonb, 0;
        RETURN;
    END IF;

    UPDATE risk_matrices m
       SET likelihood_levels = (SELECT jsonb_agg(jsonb_build_object(
                                    'value', n, 'name', e ->> 'name',
                                    'description', e -> 'description') ORDER BY n)
                                  FROM jsonb_array_elements(p_body -> 'likelihood_levels')
                                       WITH ORDINALITY x(e, n)),
           impact_levels = (SELECT jsonb_agg(jsonb_build_object(
                                'value', n, 'name', e ->> 'name',
                                'description', e -> 'description') ORDER BY n)
                              FROM jsonb_array_elements(p_body -> 'impact_levels')
                                   WITH ORDINALITY x(e, n)),
           risk_levels = (SELECT jsonb_agg(jsonb_build_object(
                              'name', e ->> 'name', 'colour', lower(e ->> 'colour'),
                              'rank', (e ->> 'rank')::int,
                              'review_interval_days', (e ->> 'review_interval_days')::int)
                              ORDER BY (e ->> 'rank')::int)
                            FROM jsonb_array_elements(p_body -> 'risk_levels') e),
           grid = p_body -> 'grid',
           acceptance_threshold = p_body ->> 'acceptance_threshold'
     WHERE m.tenant_id = v_tenant
     RETURNING * INTO v_new;

    -- Every risk whose evaluation changes, in one statement (the derive
    -- trigger computes the same values again, from the new matrix).
    UPDATE risks r
       SET inherent_score = e.inherent_score, inherent_level = e.inherent_level,
           current_score = e.current_score, current_level = e.current_level,
           residual_score = e.residual_score, residual_level = e.residual_level,
           above_appetite = e.above_appetite, next_review = e.next_review
      FROM risks x, LATERAL risk_evaluate(x, v_new) e
     WHERE x.tenant_id = v_tenant AND r.tenant_id = x.tenant_id AND r.id = x.id
       AND (r.inherent_level, r.current_level, r.residual_level, r.above_appetite, r.next_review)
           IS DISTINCT FROM
           (e.inherent_level, e.current_level, e.residual_level, e.above_appetite, e.next_review);
    GET DIAGNOSTICS v_count = ROW_COUNT;

    RETURN QUERY SELECT 'ok'::text, NULL::jsonb, v_new.version, risk_matrix_json(v_new), v_count;
END
$$;

-- The service calls these (functions used inside triggers and policies run
-- with the caller's rights and need the grant too).
GRANT EXECUTE ON FUNCTION
    risk_ts(timestamptz),
    risk_level_of(risk_matrices, text), risk_level_json(risk_matrices, text),
    risk_evaluate(risks, risk_matrices), risk_transition_allowed(text, text),
    risk_transitions_from(text), risk_status(risks), risks_expire_acceptances(),
    risk_json(risks, risk_matrices), risk_treatment_json(risk_treatments),
    risk_acceptance_state(risk_acceptances), risk_acceptance_json(risk_acceptances),
    risk_matrix_json(risk_matrices), risk_uuids(jsonb, text),
    risk_unknown_ids(uuid[], uuid[], text, text), risk_unknown_controls(uuid[]),
    risk_save(uuid, jsonb, integer), risk_treatment_save(uuid, uuid, jsonb, integer),
    risk_acceptance_request(uuid, text),
    risk_acceptance_decide(uuid, text, text, timestamptz),
    risk_matrix_put(jsonb, integer)
    TO isms_app;
