-- 0007_controls: the control catalogs, the tenant's implemented controls,
-- evidence, and the Statement of Applicability (ISO/IEC 27001:2022 clause
-- 6.1.3 d).
--
-- Owns: frameworks, requirements and requirement_mappings (global catalogs
-- seeded here, and tenants' own frameworks), controls and
-- control_requirements, evidence, evidence_content and evidence_controls,
-- soa_entries and soa_versions; the helper functions the controls service
-- calls; and the foreign key from risk_treatment_controls (0006) to
-- controls.
--
-- Catalogs mix global and tenant rows. A global row (the seeded ISO/IEC
-- 27001 frameworks) has tenant_id NULL; it is read by every tenant and
-- written by nobody but the migrations. A tenant's own framework (created
-- from JSON or imported from OSCAL) has its tenant's id. A NULL cannot be
-- part of a primary key, so the catalog tables are keyed by id alone; the
-- tenant is tied to its rows by the composite foreign keys
-- (framework_id, tenant_id) and (parent_id, framework_id), which
-- PostgreSQL checks whenever tenant_id is not NULL. Rows that point into a
-- catalog from tenant tables (control_requirements, soa_entries) use a
-- plain foreign key to requirements (id) plus a trigger that refuses a
-- requirement the tenant cannot see: a foreign key check ignores
-- row-level security, so without it a tenant could link another tenant's
-- requirement by id.
--
-- Row-level security on the catalogs: one permissive policy lets a tenant
-- read global rows and its own, and write only its own (WITH CHECK);
-- restrictive UPDATE and DELETE policies keep global rows out of reach of
-- writes even where a privilege would allow them. isms_owner gets its own
-- policy, as in 0001, so that later migrations can seed further global
-- catalogs.
--
-- Seeded ids are derived from the framework's slug and the requirement's
-- reference (catalog_id()), so they are the same on every installation.
-- Only facts are seeded (numbers, titles, themes, attributes, the 2013 to
-- 2022 mapping), never text of the standards: statements stay NULL.
--
-- References: Annex A controls of ISO/IEC 27001:2022 are stored as
-- 'A.5.1' ... 'A.8.34' (the standard numbers them 5.1 ... 8.34 inside
-- Annex A; the prefix keeps them apart from clause 5.1), the themes as the
-- groups 'A.5' ... 'A.8', the clauses as '4' ... '10.2'. The 2013 controls
-- keep their own 'A.5.1.1' form, their domains are the groups 'A.5' ...
-- 'A.18'.

-- ---------------------------------------------------------------------------
-- Deterministic ids of seeded rows: md5 of the slug (and reference) as a
-- uuid. STRICT: a NULL reference (no parent) gives NULL.

CREATE FUNCTION catalog_id(p_slug text)
    RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT md5('framework/' || p_slug)::uuid $$;

CREATE FUNCTION catalog_id(p_slug text, p_ref text)
    RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT md5(p_slug || '/' || p_ref)::uuid $$;

GRANT EXECUTE ON FUNCTION catalog_id(text), catalog_id(text, text) TO isms_app;

-- ---------------------------------------------------------------------------
-- Frameworks. `edition` is the framework's own version ("2022"), shown as
-- `version` by the API; `version` is the row's version, as everywhere.
-- `oscal` keeps what an OSCAL catalog holds beyond the requirements
-- (uuid, metadata, back-matter, catalog-level params), for the export.

CREATE TABLE frameworks (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid REFERENCES tenants (id),
    slug         text NOT NULL
                 CHECK (slug ~ '^[a-z0-9][a-z0-9._-]{0,62}$' AND slug <> 'import'),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    edition      text CHECK (char_length(edition) BETWEEN 1 AND 100),
    description  text CHECK (char_length(description) <= 10000),
    source       text NOT NULL CHECK (source IN ('seed', 'json', 'oscal')),
    oscal        jsonb CHECK (jsonb_typeof(oscal) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    -- The target of requirements' tenant-inclusive foreign key.
    UNIQUE (id, tenant_id)
);

-- Global slugs are unique overall, a tenant's unique within the tenant;
-- frameworks_slug_free() keeps a tenant slug from shadowing a global one.
CREATE UNIQUE INDEX frameworks_global_slug_key ON frameworks (slug)
    WHERE tenant_id IS NULL;
CREATE UNIQUE INDEX frameworks_tenant_slug_key ON frameworks (tenant_id, slug)
    WHERE tenant_id IS NOT NULL;
-- Keyset paging of the list (global and own rows, by created_at, id).
CREATE INDEX frameworks_page_idx ON frameworks (created_at, id);

CREATE FUNCTION frameworks_slug_free() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM frameworks f
                WHERE f.slug = NEW.slug AND f.id <> NEW.id
                  AND (f.tenant_id IS NULL OR NEW.tenant_id IS NULL
                       OR f.tenant_id = NEW.tenant_id)) THEN
        RAISE EXCEPTION 'A framework with the slug "%" already exists.', NEW.slug
            USING ERRCODE = 'IS409', COLUMN = 'slug';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER slug_free BEFORE INSERT OR UPDATE OF slug ON frameworks
    FOR EACH ROW EXECUTE FUNCTION frameworks_slug_free();

-- ---------------------------------------------------------------------------
-- Requirements: the nodes of a framework. kind: clause (management-system
-- clauses), group (a theme, domain or OSCAL group), control, enhancement
-- (an OSCAL control nested in a control). attributes holds the ISO/IEC
-- 27002:2022 attributes as arrays: control_type,
-- information_security_properties, cybersecurity_concepts,
-- operational_capabilities, security_domains. params and oscal keep an
-- imported OSCAL control's params and its other members (class, props,
-- links, parts) for the export; statement is its statement part as text.

CREATE TABLE requirements (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid REFERENCES tenants (id),
    framework_id  uuid NOT NULL REFERENCES frameworks (id) ON DELETE CASCADE,
    parent_id     uuid,
    ref           text NOT NULL CHECK (char_length(ref) BETWEEN 1 AND 100),
    kind          text NOT NULL CHECK (kind IN ('clause', 'group', 'control', 'enhancement')),
    title         text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 1000),
    statement     text CHECK (char_length(statement) <= 100000),
    theme         text CHECK (char_length(theme) BETWEEN 1 AND 1000),
    attributes    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    params        jsonb CHECK (jsonb_typeof(params) = 'array'),
    oscal         jsonb CHECK (jsonb_typeof(oscal) = 'object'),
    sort_order    integer NOT NULL CHECK (sort_order >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    updated_by    uuid,
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    UNIQUE (framework_id, ref),
    -- Keyset paging of a framework's requirements.
    UNIQUE (framework_id, sort_order),
    UNIQUE (id, framework_id),
    -- A tenant row belongs to a framework of the same tenant.
    FOREIGN KEY (framework_id, tenant_id) REFERENCES frameworks (id, tenant_id)
        ON DELETE CASCADE,
    -- A parent in the same framework.
    FOREIGN KEY (parent_id, framework_id) REFERENCES requirements (id, framework_id)
        ON DELETE CASCADE,
    CHECK (parent_id <> id)
);

CREATE INDEX requirements_parent_idx ON requirements (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX requirements_tenant_idx ON requirements (tenant_id) WHERE tenant_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- Mappings between requirements of two frameworks (2013 -> 2022).
-- relationship: how `from` relates to `to` (equal, subset, superset,
-- intersect), or just related.

CREATE TABLE requirement_mappings (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid REFERENCES tenants (id),
    from_requirement  uuid NOT NULL REFERENCES requirements (id) ON DELETE CASCADE,
    to_requirement    uuid NOT NULL REFERENCES requirements (id) ON DELETE CASCADE,
    relationship      text NOT NULL
                      CHECK (relationship IN ('equal', 'subset', 'superset', 'intersect', 'related')),
    sort_order        integer NOT NULL CHECK (sort_order >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid,
    updated_by        uuid,
    version           integer NOT NULL DEFAULT 1 CHECK (version > 0),
    UNIQUE (from_requirement, to_requirement),
    CHECK (from_requirement <> to_requirement)
);

CREATE INDEX requirement_mappings_to_idx ON requirement_mappings (to_requirement);
CREATE INDEX requirement_mappings_page_idx ON requirement_mappings (sort_order, id);

CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON frameworks
    FOR EACH ROW EXECUTE FUNCTION row_stamp();
CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON requirements
    FOR EACH ROW EXECUTE FUNCTION row_stamp();
CREATE TRIGGER row_stamp BEFORE INSERT OR UPDATE ON requirement_mappings
    FOR EACH ROW EXECUTE FUNCTION row_stamp();

-- ---------------------------------------------------------------------------
-- The seeded catalogs. Written before the activity triggers exist: global
-- rows belong to no tenant's chain.

INSERT INTO frameworks (id, slug, name, edition, description, source) VALUES
    (catalog_id('iso27001-2022'), 'iso27001-2022', 'ISO/IEC 27001:2022', '2022',
     'Information security management systems: the management-system clauses 4 to 10 and the 93 Annex A controls in four themes (organizational 37, people 8, physical 14, technological 34), with the five ISO/IEC 27002:2022 control attributes.',
     'seed'),
    (catalog_id('iso27001-2013'), 'iso27001-2013', 'ISO/IEC 27001:2013', '2013',
     'The 114 Annex A controls of the 2013 edition in 14 domains (A.5 to A.18), mapped to the 2022 controls.',
     'seed');

-- Clauses 4 to 10 (kind 'clause'): sort order, number, parent, title.
INSERT INTO requirements (id, framework_id, parent_id, ref, kind, title, sort_order)
SELECT catalog_id('iso27001-2022', c.ref), catalog_id('iso27001-2022'),
       catalog_id('iso27001-2022', c.parent), c.ref, 'clause', c.title, c.ord
  FROM (VALUES
    (1, '4', NULL, 'Context of the organization'),
    (2, '4.1', '4', 'Understanding the organization and its context'),
    (3, '4.2', '4', 'Understanding the needs and expectations of interested parties'),
    (4, '4.3', '4', 'Determining the scope of the information security management system'),
    (5, '4.4', '4', 'Information security management system'),
    (6, '5', NULL, 'Leadership'),
    (7, '5.1', '5', 'Leadership and commitment'),
    (8, '5.2', '5', 'Policy'),
    (9, '5.3', '5', 'Organizational roles, responsibilities and authorities'),
    (10, '6', NULL, 'Planning'),
    (11, '6.1', '6', 'Actions to address risks and opportunities'),
    (12, '6.1.1', '6.1', 'General'),
    (13, '6.1.2', '6.1', 'Information security risk assessment'),
    (14, '6.1.3', '6.1', 'Information security risk treatment'),
    (15, '6.2', '6', 'Information security objectives and planning to achieve them'),
    (16, '6.3', '6', 'Planning of changes'),
    (17, '7', NULL, 'Support'),
    (18, '7.1', '7', 'Resources'),
    (19, '7.2', '7', 'Competence'),
    (20, '7.3', '7', 'Awareness'),
    (21, '7.4', '7', 'Communication'),
    (22, '7.5', '7', 'Documented information'),
    (23, '7.5.1', '7.5', 'General'),
    (24, '7.5.2', '7.5', 'Creating and updating'),
    (25, '7.5.3', '7.5', 'Control of documented information'),
    (26, '8', NULL, 'Operation'),
    (27, '8.1', '8', 'Operational planning and control'),
    (28, '8.2', '8', 'Information security risk assessment'),
    (29, '8.3', '8', 'Information security risk treatment'),
    (30, '9', NULL, 'Performance evaluation'),
    (31, '9.1', '9', 'Monitoring, measurement, analysis and evaluation'),
    (32, '9.2', '9', 'Internal audit'),
    (33, '9.2.1', '9.2', 'General'),
    (34, '9.2.2', '9.2', 'Internal audit programme'),
    (35, '9.3', '9', 'Management review'),
    (36, '9.3.1', '9.3', 'General'),
    (37, '9.3.2', '9.3', 'Management review inputs'),
    (38, '9.3.3', '9.3', 'Management review results'),
    (39, '10', NULL, 'Improvement'),
    (40, '10.1', '10', 'Continual improvement'),
    (41, '10.2', '10', 'Nonconformity and corrective action')
) AS c(ord, ref, parent, title);

-- Annex A themes as groups (kind 'group'), A.5 to A.8.
INSERT INTO requirements (id, framework_id, ref, kind, title, theme, sort_order)
SELECT catalog_id('iso27001-2022', g.ref), catalog_id('iso27001-2022'), g.ref, 'group',
       g.title, g.theme, g.ord
  FROM (VALUES
    (42, 'A.5', 'Organizational controls', 'organizational'),
    (80, 'A.6', 'People controls', 'people'),
    (89, 'A.7', 'Physical controls', 'physical'),
    (104, 'A.8', 'Technological controls', 'technological')
) AS g(ord, ref, title, theme);

-- The 93 Annex A controls (kind 'control'): the id as the reference lists
-- it (ref is 'A.' || id), title, theme, and the five ISO/IEC 27002:2022
-- attributes as ';'-separated lists in the standard's order.
INSERT INTO requirements (id, framework_id, parent_id, ref, kind, title, theme,
                          attributes, sort_order)
SELECT catalog_id('iso27001-2022', 'A.' || a.id), catalog_id('iso27001-2022'),
       catalog_id('iso27001-2022', 'A.' || split_part(a.id, '.', 1)),
       'A.' || a.id, 'control', a.title, a.theme,
       jsonb_build_object(
           'control_type', to_jsonb(string_to_array(a.control_type, ';')),
           'information_security_properties', to_jsonb(string_to_array(a.properties, ';')),
           'cybersecurity_concepts', to_jsonb(string_to_array(a.concepts, ';')),
           'operational_capabilities', to_jsonb(string_to_array(a.capabilities, ';')),
           'security_domains', to_jsonb(string_to_array(a.domains, ';'))),
       a.ord
  FROM (VALUES
    (43, '5.1', 'Policies for information security', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Governance',
     'Governance_and_Ecosystem;Resilience'),
    (44, '5.2', 'Information security roles and responsibilities', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Governance',
     'Governance_and_Ecosystem;Protection;Resilience'),
    (45, '5.3', 'Segregation of duties', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Governance;Identity_and_access_management',
     'Governance_and_Ecosystem'),
    (46, '5.4', 'Management responsibilities', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Governance',
     'Governance_and_Ecosystem'),
    (47, '5.5', 'Contact with authorities', 'organizational',
     'Preventive;Corrective', 'Confidentiality;Integrity;Availability',
     'Identify;Protect;Respond;Recover', 'Governance',
     'Defence;Resilience'),
    (48, '5.6', 'Contact with special interest groups', 'organizational',
     'Preventive;Corrective', 'Confidentiality;Integrity;Availability',
     'Protect;Respond;Recover', 'Governance',
     'Defence'),
    (49, '5.7', 'Threat intelligence', 'organizational',
     'Preventive;Detective;Corrective', 'Confidentiality;Integrity;Availability',
     'Identify;Detect;Respond', 'Threat_and_vulnerability_management',
     'Defence;Resilience'),
    (50, '5.8', 'Information security in project management', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Governance',
     'Governance_and_Ecosystem;Protection'),
    (51, '5.9', 'Inventory of information and other associated assets', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Asset_management',
     'Governance_and_Ecosystem;Protection'),
    (52, '5.10', 'Acceptable use of information and other associated assets', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Information_protection',
     'Governance_and_Ecosystem;Protection'),
    (53, '5.11', 'Return of assets', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management',
     'Protection'),
    (54, '5.12', 'Classification of information', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Information_protection',
     'Protection;Defence'),
    (55, '5.13', 'Labelling of information', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Information_protection',
     'Protection;Defence'),
    (56, '5.14', 'Information transfer', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Information_protection',
     'Protection'),
    (57, '5.15', 'Access control', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (58, '5.16', 'Identity management', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (59, '5.17', 'Authentication information', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (60, '5.18', 'Access rights', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (61, '5.19', 'Information security in supplier relationships', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Supplier_relationships_security',
     'Governance_and_Ecosystem;Protection'),
    (62, '5.20', 'Addressing information security within supplier agreements', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Supplier_relationships_security',
     'Governance_and_Ecosystem;Protection'),
    (63, '5.21', 'Managing information security in the ICT supply chain', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Supplier_relationships_security',
     'Governance_and_Ecosystem;Protection'),
    (64, '5.22', 'Monitoring, review and change management of supplier services', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Supplier_relationships_security;Information_security_assurance',
     'Governance_and_Ecosystem;Protection;Defence'),
    (65, '5.23', 'Information security for use of cloud services', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Supplier_relationships_security',
     'Governance_and_Ecosystem;Protection'),
    (66, '5.24', 'Information security incident management planning and preparation', 'organizational',
     'Corrective', 'Confidentiality;Integrity;Availability',
     'Respond;Recover', 'Governance;Information_security_event_management',
     'Defence'),
    (67, '5.25', 'Assessment and decision on information security events', 'organizational',
     'Detective', 'Confidentiality;Integrity;Availability',
     'Detect;Respond', 'Information_security_event_management',
     'Defence'),
    (68, '5.26', 'Response to information security incidents', 'organizational',
     'Corrective', 'Confidentiality;Integrity;Availability',
     'Respond;Recover', 'Information_security_event_management',
     'Defence'),
    (69, '5.27', 'Learning from information security incidents', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Information_security_event_management',
     'Defence'),
    (70, '5.28', 'Collection of evidence', 'organizational',
     'Corrective', 'Confidentiality;Integrity;Availability',
     'Detect;Respond', 'Information_security_event_management',
     'Defence'),
    (71, '5.29', 'Information security during disruption', 'organizational',
     'Preventive;Corrective', 'Confidentiality;Integrity;Availability',
     'Protect;Respond', 'Continuity',
     'Protection;Resilience'),
    (72, '5.30', 'ICT readiness for business continuity', 'organizational',
     'Corrective', 'Availability',
     'Respond', 'Continuity',
     'Resilience'),
    (73, '5.31', 'Legal, statutory, regulatory and contractual requirements', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Legal_and_compliance',
     'Governance_and_Ecosystem;Protection'),
    (74, '5.32', 'Intellectual property rights', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'Legal_and_compliance',
     'Governance_and_Ecosystem'),
    (75, '5.33', 'Protection of records', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Asset_management;Information_protection;Legal_and_compliance',
     'Defence'),
    (76, '5.34', 'Privacy and protection of PII', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Information_protection;Legal_and_compliance',
     'Protection'),
    (77, '5.35', 'Independent review of information security', 'organizational',
     'Preventive;Corrective', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Information_security_assurance',
     'Governance_and_Ecosystem'),
    (78, '5.36', 'Compliance with policies, rules and standards for information security', 'organizational',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Legal_and_compliance;Information_security_assurance',
     'Governance_and_Ecosystem'),
    (79, '5.37', 'Documented operating procedures', 'organizational',
     'Preventive;Corrective', 'Confidentiality;Integrity;Availability',
     'Protect;Recover', 'Asset_management;Physical_security;System_and_network_security;Application_security;Secure_configuration;Identity_and_access_management;Threat_and_vulnerability_management;Continuity;Information_security_event_management',
     'Governance_and_Ecosystem;Protection;Defence'),
    (81, '6.1', 'Screening', 'people',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Human_resource_security',
     'Governance_and_Ecosystem'),
    (82, '6.2', 'Terms and conditions of employment', 'people',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Human_resource_security',
     'Governance_and_Ecosystem'),
    (83, '6.3', 'Information security awareness, education and training', 'people',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Human_resource_security',
     'Governance_and_Ecosystem'),
    (84, '6.4', 'Disciplinary process', 'people',
     'Preventive;Corrective', 'Confidentiality;Integrity;Availability',
     'Protect;Respond', 'Human_resource_security',
     'Governance_and_Ecosystem'),
    (85, '6.5', 'Responsibilities after termination or change of employment', 'people',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Human_resource_security',
     'Governance_and_Ecosystem'),
    (86, '6.6', 'Confidentiality or non-disclosure agreements', 'people',
     'Preventive', 'Confidentiality',
     'Protect', 'Information_protection;Human_resource_security;Supplier_relationships_security',
     'Governance_and_Ecosystem'),
    (87, '6.7', 'Remote working', 'people',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Information_protection;Physical_security;System_and_network_security',
     'Protection'),
    (88, '6.8', 'Information security event reporting', 'people',
     'Detective', 'Confidentiality;Integrity;Availability',
     'Detect', 'Information_security_event_management',
     'Defence'),
    (90, '7.1', 'Physical security perimeters', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Physical_security',
     'Protection'),
    (91, '7.2', 'Physical entry', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Physical_security;Identity_and_access_management',
     'Protection'),
    (92, '7.3', 'Securing offices, rooms and facilities', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Physical_security',
     'Protection'),
    (93, '7.4', 'Physical security monitoring', 'physical',
     'Preventive;Detective', 'Confidentiality;Integrity;Availability',
     'Protect;Detect', 'Physical_security',
     'Protection;Defence'),
    (94, '7.5', 'Protecting against physical and environmental threats', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Physical_security',
     'Protection'),
    (95, '7.6', 'Working in secure areas', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Physical_security',
     'Protection'),
    (96, '7.7', 'Clear desk and clear screen', 'physical',
     'Preventive', 'Confidentiality',
     'Protect', 'Physical_security',
     'Protection'),
    (97, '7.8', 'Equipment siting and protection', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Physical_security',
     'Protection'),
    (98, '7.9', 'Security of assets off-premises', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Physical_security',
     'Protection'),
    (99, '7.10', 'Storage media', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Physical_security',
     'Protection'),
    (100, '7.11', 'Supporting utilities', 'physical',
     'Preventive;Detective', 'Integrity;Availability',
     'Protect;Detect', 'Physical_security',
     'Protection'),
    (101, '7.12', 'Cabling security', 'physical',
     'Preventive', 'Confidentiality;Availability',
     'Protect', 'Physical_security',
     'Protection'),
    (102, '7.13', 'Equipment maintenance', 'physical',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Physical_security',
     'Protection;Resilience'),
    (103, '7.14', 'Secure disposal or re-use of equipment', 'physical',
     'Preventive', 'Confidentiality',
     'Protect', 'Asset_management;Physical_security',
     'Protection'),
    (105, '8.1', 'User end point devices', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Asset_management;Information_protection',
     'Protection'),
    (106, '8.2', 'Privileged access rights', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (107, '8.3', 'Information access restriction', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (108, '8.4', 'Access to source code', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Application_security;Secure_configuration;Identity_and_access_management',
     'Protection'),
    (109, '8.5', 'Secure authentication', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Identity_and_access_management',
     'Protection'),
    (110, '8.6', 'Capacity management', 'technological',
     'Preventive;Detective', 'Integrity;Availability',
     'Identify;Protect;Detect', 'Continuity',
     'Governance_and_Ecosystem;Protection'),
    (111, '8.7', 'Protection against malware', 'technological',
     'Preventive;Detective;Corrective', 'Confidentiality;Integrity;Availability',
     'Protect;Detect', 'Information_protection;System_and_network_security',
     'Protection;Defence'),
    (112, '8.8', 'Management of technical vulnerabilities', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify;Protect', 'Threat_and_vulnerability_management',
     'Governance_and_Ecosystem;Protection;Defence'),
    (113, '8.9', 'Configuration management', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Secure_configuration',
     'Protection'),
    (114, '8.10', 'Information deletion', 'technological',
     'Preventive', 'Confidentiality',
     'Protect', 'Information_protection;Legal_and_compliance',
     'Protection'),
    (115, '8.11', 'Data masking', 'technological',
     'Preventive', 'Confidentiality',
     'Protect', 'Information_protection',
     'Protection'),
    (116, '8.12', 'Data leakage prevention', 'technological',
     'Preventive;Detective', 'Confidentiality',
     'Protect;Detect', 'Information_protection',
     'Protection;Defence'),
    (117, '8.13', 'Information backup', 'technological',
     'Corrective', 'Integrity;Availability',
     'Recover', 'Continuity',
     'Protection'),
    (118, '8.14', 'Redundancy of information processing facilities', 'technological',
     'Preventive', 'Availability',
     'Protect', 'Asset_management;Continuity',
     'Protection;Resilience'),
    (119, '8.15', 'Logging', 'technological',
     'Detective', 'Confidentiality;Integrity;Availability',
     'Detect', 'Information_security_event_management',
     'Protection;Defence'),
    (120, '8.16', 'Monitoring activities', 'technological',
     'Detective;Corrective', 'Confidentiality;Integrity;Availability',
     'Detect;Respond', 'Information_security_event_management',
     'Defence'),
    (121, '8.17', 'Clock synchronization', 'technological',
     'Detective', 'Integrity',
     'Protect;Detect', 'Information_security_event_management',
     'Protection;Defence'),
    (122, '8.18', 'Use of privileged utility programs', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security;Secure_configuration',
     'Protection'),
    (123, '8.19', 'Installation of software on operational systems', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Application_security;Secure_configuration',
     'Protection'),
    (124, '8.20', 'Networks security', 'technological',
     'Preventive;Detective', 'Confidentiality;Integrity;Availability',
     'Protect;Detect', 'System_and_network_security',
     'Protection'),
    (125, '8.21', 'Security of network services', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security',
     'Protection'),
    (126, '8.22', 'Segregation of networks', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security',
     'Protection'),
    (127, '8.23', 'Web filtering', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security',
     'Protection'),
    (128, '8.24', 'Use of cryptography', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Secure_configuration',
     'Protection'),
    (129, '8.25', 'Secure development life cycle', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security',
     'Protection'),
    (130, '8.26', 'Application security requirements', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security',
     'Protection;Defence'),
    (131, '8.27', 'Secure system architecture and engineering principles', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security',
     'Protection'),
    (132, '8.28', 'Secure coding', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security',
     'Protection'),
    (133, '8.29', 'Security testing in development and acceptance', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Identify', 'System_and_network_security;Application_security;Information_security_assurance',
     'Protection'),
    (134, '8.30', 'Outsourced development', 'technological',
     'Preventive;Detective', 'Confidentiality;Integrity;Availability',
     'Identify;Protect;Detect', 'System_and_network_security;Application_security;Supplier_relationships_security',
     'Governance_and_Ecosystem;Protection'),
    (135, '8.31', 'Separation of development, test and production environments', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security',
     'Protection'),
    (136, '8.32', 'Change management', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'System_and_network_security;Application_security',
     'Protection'),
    (137, '8.33', 'Test information', 'technological',
     'Preventive', 'Confidentiality;Integrity',
     'Protect', 'Information_protection',
     'Protection'),
    (138, '8.34', 'Protection of information systems during audit testing', 'technological',
     'Preventive', 'Confidentiality;Integrity;Availability',
     'Protect', 'Information_protection;System_and_network_security',
     'Governance_and_Ecosystem;Protection')
) AS a(ord, id, title, theme, control_type, properties, concepts, capabilities, domains);

-- ISO/IEC 27001:2013 Annex A: the 14 domains A.5 to A.18 (kind 'group').
INSERT INTO requirements (id, framework_id, ref, kind, title, theme, sort_order)
SELECT catalog_id('iso27001-2013', d.ref), catalog_id('iso27001-2013'), d.ref, 'group',
       d.title, d.title, d.ord
  FROM (VALUES
    (1, 'A.5', 'Information security policies'),
    (4, 'A.6', 'Organization of information security'),
    (12, 'A.7', 'Human resource security'),
    (19, 'A.8', 'Asset management'),
    (30, 'A.9', 'Access control'),
    (45, 'A.10', 'Cryptography'),
    (48, 'A.11', 'Physical and environmental security'),
    (64, 'A.12', 'Operations security'),
    (79, 'A.13', 'Communications security'),
    (87, 'A.14', 'System acquisition, development and maintenance'),
    (101, 'A.15', 'Supplier relationships'),
    (107, 'A.16', 'Information security incident management'),
    (115, 'A.17', 'Information security aspects of business continuity management'),
    (120, 'A.18', 'Compliance')
) AS d(ord, ref, title);

-- The 114 controls (kind 'control') under their domain (the first two
-- parts of the id), with the domain's title as theme.
INSERT INTO requirements (id, framework_id, parent_id, ref, kind, title, theme, sort_order)
SELECT catalog_id('iso27001-2013', c.ref), catalog_id('iso27001-2013'), d.id, c.ref,
       'control', c.title, d.title, c.ord
  FROM (VALUES
    (2, 'A.5.1.1', 'Policies for information security'),
    (3, 'A.5.1.2', 'Review of the policies for information security'),
    (5, 'A.6.1.1', 'Information security roles and responsibilities'),
    (6, 'A.6.1.2', 'Segregation of duties'),
    (7, 'A.6.1.3', 'Contact with authorities'),
    (8, 'A.6.1.4', 'Contact with special interest groups'),
    (9, 'A.6.1.5', 'Information security in project management'),
    (10, 'A.6.2.1', 'Mobile device policy'),
    (11, 'A.6.2.2', 'Teleworking'),
    (13, 'A.7.1.1', 'Screening'),
    (14, 'A.7.1.2', 'Terms and conditions of employment'),
    (15, 'A.7.2.1', 'Management responsibilities'),
    (16, 'A.7.2.2', 'Information security awareness, education and training'),
    (17, 'A.7.2.3', 'Disciplinary process'),
    (18, 'A.7.3.1', 'Termination or change of employment responsibilities'),
    (20, 'A.8.1.1', 'Inventory of assets'),
    (21, 'A.8.1.2', 'Ownership of assets'),
    (22, 'A.8.1.3', 'Acceptable use of assets'),
    (23, 'A.8.1.4', 'Return of assets'),
    (24, 'A.8.2.1', 'Classification of information'),
    (25, 'A.8.2.2', 'Labelling of information'),
    (26, 'A.8.2.3', 'Handling of assets'),
    (27, 'A.8.3.1', 'Management of removable media'),
    (28, 'A.8.3.2', 'Disposal of media'),
    (29, 'A.8.3.3', 'Physical media transfer'),
    (31, 'A.9.1.1', 'Access control policy'),
    (32, 'A.9.1.2', 'Access to networks and network services'),
    (33, 'A.9.2.1', 'User registration and de-registration'),
    (34, 'A.9.2.2', 'User access provisioning'),
    (35, 'A.9.2.3', 'Management of privileged access rights'),
    (36, 'A.9.2.4', 'Management of secret authentication information of users'),
    (37, 'A.9.2.5', 'Review of user access rights'),
    (38, 'A.9.2.6', 'Removal or adjustment of access rights'),
    (39, 'A.9.3.1', 'Use of secret authentication information'),
    (40, 'A.9.4.1', 'Information access restriction'),
    (41, 'A.9.4.2', 'Secure log-on procedures'),
    (42, 'A.9.4.3', 'Password management system'),
    (43, 'A.9.4.4', 'Use of privileged utility programs'),
    (44, 'A.9.4.5', 'Access control to program source code'),
    (46, 'A.10.1.1', 'Policy on the use of cryptographic controls'),
    (47, 'A.10.1.2', 'Key management'),
    (49, 'A.11.1.1', 'Physical security perimeter'),
    (50, 'A.11.1.2', 'Physical entry controls'),
    (51, 'A.11.1.3', 'Securing offices, rooms and facilities'),
    (52, 'A.11.1.4', 'Protecting against external and environmental threats'),
    (53, 'A.11.1.5', 'Working in secure areas'),
    (54, 'A.11.1.6', 'Delivery and loading areas'),
    (55, 'A.11.2.1', 'Equipment siting and protection'),
    (56, 'A.11.2.2', 'Supporting utilities'),
    (57, 'A.11.2.3', 'Cabling security'),
    (58, 'A.11.2.4', 'Equipment maintenance'),
    (59, 'A.11.2.5', 'Removal of assets'),
    (60, 'A.11.2.6', 'Security of equipment and assets off-premises'),
    (61, 'A.11.2.7', 'Secure disposal or re-use of equipment'),
    (62, 'A.11.2.8', 'Unattended user equipment'),
    (63, 'A.11.2.9', 'Clear desk and clear screen policy'),
    (65, 'A.12.1.1', 'Documented operating procedures'),
    (66, 'A.12.1.2', 'Change management'),
    (67, 'A.12.1.3', 'Capacity management'),
    (68, 'A.12.1.4', 'Separation of development, testing and operational environments'),
    (69, 'A.12.2.1', 'Controls against malware'),
    (70, 'A.12.3.1', 'Information backup'),
    (71, 'A.12.4.1', 'Event logging'),
    (72, 'A.12.4.2', 'Protection of log information'),
    (73, 'A.12.4.3', 'Administrator and operator logs'),
    (74, 'A.12.4.4', 'Clock synchronisation'),
    (75, 'A.12.5.1', 'Installation of software on operational systems'),
    (76, 'A.12.6.1', 'Management of technical vulnerabilities'),
    (77, 'A.12.6.2', 'Restrictions on software installation'),
    (78, 'A.12.7.1', 'Information systems audit controls'),
    (80, 'A.13.1.1', 'Network controls'),
    (81, 'A.13.1.2', 'Security of network services'),
    (82, 'A.13.1.3', 'Segregation in networks'),
    (83, 'A.13.2.1', 'Information transfer policies and procedures'),
    (84, 'A.13.2.2', 'Agreements on information transfer'),
    (85, 'A.13.2.3', 'Electronic messaging'),
    (86, 'A.13.2.4', 'Confidentiality or non-disclosure agreements'),
    (88, 'A.14.1.1', 'Information security requirements analysis and specification'),
    (89, 'A.14.1.2', 'Securing application services on public networks'),
    (90, 'A.14.1.3', 'Protecting application services transactions'),
    (91, 'A.14.2.1', 'Secure development policy'),
    (92, 'A.14.2.2', 'System change control procedures'),
    (93, 'A.14.2.3', 'Technical review of applications after operating platform changes'),
    (94, 'A.14.2.4', 'Restrictions on changes to software packages'),
    (95, 'A.14.2.5', 'Secure system engineering principles'),
    (96, 'A.14.2.6', 'Secure development environment'),
    (97, 'A.14.2.7', 'Outsourced development'),
    (98, 'A.14.2.8', 'System security testing'),
    (99, 'A.14.2.9', 'System acceptance testing'),
    (100, 'A.14.3.1', 'Protection of test data'),
    (102, 'A.15.1.1', 'Information security policy for supplier relationships'),
    (103, 'A.15.1.2', 'Addressing security within supplier agreements'),
    (104, 'A.15.1.3', 'Information and communication technology supply chain'),
    (105, 'A.15.2.1', 'Monitoring and review of supplier services'),
    (106, 'A.15.2.2', 'Managing changes to supplier services'),
    (108, 'A.16.1.1', 'Responsibilities and procedures'),
    (109, 'A.16.1.2', 'Reporting information security events'),
    (110, 'A.16.1.3', 'Reporting information security weaknesses'),
    (111, 'A.16.1.4', 'Assessment of and decision on information security events'),
    (112, 'A.16.1.5', 'Response to information security incidents'),
    (113, 'A.16.1.6', 'Learning from information security incidents'),
    (114, 'A.16.1.7', 'Collection of evidence'),
    (116, 'A.17.1.1', 'Planning information security continuity'),
    (117, 'A.17.1.2', 'Implementing information security continuity'),
    (118, 'A.17.1.3', 'Verify, review and evaluate information security continuity'),
    (119, 'A.17.2.1', 'Availability of information processing facilities'),
    (121, 'A.18.1.1', 'Identification of applicable legislation and contractual requirements'),
    (122, 'A.18.1.2', 'Intellectual property rights'),
    (123, 'A.18.1.3', 'Protection of records'),
    (124, 'A.18.1.4', 'Privacy and protection of personally identifiable information'),
    (125, 'A.18.1.5', 'Regulation of cryptographic controls'),
    (126, 'A.18.2.1', 'Independent review of information security'),
    (127, 'A.18.2.2', 'Compliance with security policies and standards'),
    (128, 'A.18.2.3', 'Technical compliance review')
) AS c(ord, ref, title)
  JOIN requirements d ON d.id = catalog_id('iso27001-2013',
                                           substring(c.ref FROM '^A\.[0-9]+'));

-- 2013 control -> 2022 control (A.18.2.3 maps to two). relationship: how
-- the 2013 control relates to the 2022 one, 'related' where the source
-- names no set relation.
INSERT INTO requirement_mappings (id, from_requirement, to_requirement, relationship, sort_order)
SELECT catalog_id('iso27001-2013>iso27001-2022', m.from_ref || '>' || m.to_id),
       catalog_id('iso27001-2013', m.from_ref), catalog_id('iso27001-2022', 'A.' || m.to_id),
       m.relationship, m.ord
  FROM (VALUES
    (1, 'A.5.1.1', '5.1', 'subset'),
    (2, 'A.5.1.2', '5.1', 'subset'),
    (3, 'A.6.1.1', '5.2', 'equal'),
    (4, 'A.6.1.2', '5.3', 'equal'),
    (5, 'A.6.1.3', '5.5', 'related'),
    (6, 'A.6.1.4', '5.6', 'related'),
    (7, 'A.6.1.5', '5.8', 'related'),
    (8, 'A.6.2.1', '8.1', 'subset'),
    (9, 'A.6.2.2', '6.7', 'equal'),
    (10, 'A.7.1.1', '6.1', 'equal'),
    (11, 'A.7.1.2', '6.2', 'equal'),
    (12, 'A.7.2.1', '5.4', 'equal'),
    (13, 'A.7.2.2', '6.3', 'equal'),
    (14, 'A.7.2.3', '6.4', 'equal'),
    (15, 'A.7.3.1', '6.5', 'equal'),
    (16, 'A.8.1.1', '5.9', 'subset'),
    (17, 'A.8.1.2', '5.9', 'subset'),
    (18, 'A.8.1.3', '5.10', 'subset'),
    (19, 'A.8.1.4', '5.11', 'equal'),
    (20, 'A.8.2.1', '5.12', 'equal'),
    (21, 'A.8.2.2', '5.13', 'equal'),
    (22, 'A.8.2.3', '5.10', 'subset'),
    (23, 'A.8.3.1', '7.10', 'subset'),
    (24, 'A.8.3.2', '7.10', 'subset'),
    (25, 'A.8.3.3', '7.10', 'subset'),
    (26, 'A.9.1.1', '5.15', 'subset'),
    (27, 'A.9.1.2', '5.15', 'subset'),
    (28, 'A.9.2.1', '5.16', 'subset'),
    (29, 'A.9.2.2', '5.18', 'subset'),
    (30, 'A.9.2.3', '8.2', 'equal'),
    (31, 'A.9.2.4', '5.17', 'subset'),
    (32, 'A.9.2.5', '5.18', 'related'),
    (33, 'A.9.2.6', '5.18', 'related'),
    (34, 'A.9.3.1', '5.17', 'subset'),
    (35, 'A.9.4.1', '8.3', 'equal'),
    (36, 'A.9.4.2', '8.5', 'subset'),
    (37, 'A.9.4.3', '5.17', 'subset'),
    (38, 'A.9.4.4', '8.18', 'equal'),
    (39, 'A.9.4.5', '8.4', 'equal'),
    (40, 'A.10.1.1', '8.24', 'subset'),
    (41, 'A.10.1.2', '8.24', 'subset'),
    (42, 'A.11.1.1', '7.1', 'equal'),
    (43, 'A.11.1.2', '7.2', 'subset'),
    (44, 'A.11.1.3', '7.3', 'equal'),
    (45, 'A.11.1.4', '7.5', 'equal'),
    (46, 'A.11.1.5', '7.6', 'equal'),
    (47, 'A.11.1.6', '7.2', 'subset'),
    (48, 'A.11.2.1', '7.8', 'equal'),
    (49, 'A.11.2.2', '7.11', 'equal'),
    (50, 'A.11.2.3', '7.12', 'equal'),
    (51, 'A.11.2.4', '7.13', 'equal'),
    (52, 'A.11.2.5', '7.10', 'subset'),
    (53, 'A.11.2.6', '7.9', 'superset'),
    (54, 'A.11.2.7', '7.14', 'equal'),
    (55, 'A.11.2.8', '8.1', 'subset'),
    (56, 'A.11.2.9', '7.7', 'equal'),
    (57, 'A.12.1.1', '5.37', 'equal'),
    (58, 'A.12.1.2', '8.32', 'equal'),
    (59, 'A.12.1.3', '8.6', 'equal'),
    (60, 'A.12.1.4', '8.31', 'equal'),
    (61, 'A.12.2.1', '8.7', 'equal'),
    (62, 'A.12.3.1', '8.13', 'equal'),
    (63, 'A.12.4.1', '8.15', 'subset'),
    (64, 'A.12.4.2', '8.15', 'subset'),
    (65, 'A.12.4.3', '8.15', 'subset'),
    (66, 'A.12.4.4', '8.17', 'equal'),
    (67, 'A.12.5.1', '8.19', 'equal'),
    (68, 'A.12.6.1', '8.8', 'equal'),
    (69, 'A.12.6.2', '8.19', 'related'),
    (70, 'A.12.7.1', '8.34', 'related'),
    (71, 'A.13.1.1', '8.20', 'equal'),
    (72, 'A.13.1.2', '8.21', 'equal'),
    (73, 'A.13.1.3', '8.22', 'equal'),
    (74, 'A.13.2.1', '5.14', 'related'),
    (75, 'A.13.2.2', '5.14', 'related'),
    (76, 'A.13.2.3', '5.14', 'related'),
    (77, 'A.13.2.4', '6.6', 'equal'),
    (78, 'A.14.1.1', '5.8', 'subset'),
    (79, 'A.14.1.2', '8.26', 'subset'),
    (80, 'A.14.1.3', '8.26', 'subset'),
    (81, 'A.14.2.1', '8.25', 'subset'),
    (82, 'A.14.2.2', '8.32', 'subset'),
    (83, 'A.14.2.3', '8.32', 'related'),
    (84, 'A.14.2.4', '8.32', 'related'),
    (85, 'A.14.2.5', '8.27', 'subset'),
    (86, 'A.14.2.6', '8.31', 'subset'),
    (87, 'A.14.2.7', '8.30', 'equal'),
    (88, 'A.14.2.8', '8.29', 'subset'),
    (89, 'A.14.2.9', '8.29', 'subset'),
    (90, 'A.14.3.1', '8.33', 'subset'),
    (91, 'A.15.1.1', '5.19', 'equal'),
    (92, 'A.15.1.2', '5.20', 'equal'),
    (93, 'A.15.1.3', '5.21', 'subset'),
    (94, 'A.15.2.1', '5.22', 'subset'),
    (95, 'A.15.2.2', '5.22', 'subset'),
    (96, 'A.16.1.1', '5.24', 'intersect'),
    (97, 'A.16.1.2', '6.8', 'equal'),
    (98, 'A.16.1.3', '6.8', 'intersect'),
    (99, 'A.16.1.4', '5.25', 'equal'),
    (100, 'A.16.1.5', '5.26', 'equal'),
    (101, 'A.16.1.6', '5.27', 'equal'),
    (102, 'A.16.1.7', '5.28', 'equal'),
    (103, 'A.17.1.1', '5.29', 'subset'),
    (104, 'A.17.1.2', '5.29', 'subset'),
    (105, 'A.17.1.3', '5.29', 'subset'),
    (106, 'A.17.2.1', '8.14', 'intersect'),
    (107, 'A.18.1.1', '5.31', 'equal'),
    (108, 'A.18.1.2', '5.32', 'equal'),
    (109, 'A.18.1.3', '5.33', 'equal'),
    (110, 'A.18.1.4', '5.34', 'equal'),
    (111, 'A.18.1.5', '5.31', 'subset'),
    (112, 'A.18.2.1', '5.35', 'equal'),
    (113, 'A.18.2.2', '5.36', 'equal'),
    (114, 'A.18.2.3', '5.36', 'subset'),
    (115, 'A.18.2.3', '8.8', 'related')
) AS m(ord, from_ref, to_id, relationship);

-- ---------------------------------------------------------------------------
-- Catalog isolation (see the head of this file) and history: a tenant's
-- own frameworks enter its activity log, one entry per row, through the
-- statement-level trigger of 0004 (an import writes thousands of rows).

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['frameworks', 'requirements', 'requirement_mappings'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY catalog_isolation ON %I'
                       ' USING (tenant_id IS NULL OR tenant_id = app_tenant_id())'
                       ' WITH CHECK (tenant_id = app_tenant_id())', t);
        EXECUTE format('CREATE POLICY own_rows_update ON %I AS RESTRICTIVE FOR UPDATE'
                       ' USING (tenant_id = app_tenant_id())', t);
        EXECUTE format('CREATE POLICY own_rows_delete ON %I AS RESTRICTIVE FOR DELETE'
                       ' USING (tenant_id = app_tenant_id())', t);
        EXECUTE format('CREATE POLICY owner_all ON %I TO isms_owner'
                       ' USING (true) WITH CHECK (true)', t);
        EXECUTE format('CREATE TRIGGER activity_record_insert AFTER INSERT ON %I'
                       ' REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows()', t);
        EXECUTE format('CREATE TRIGGER activity_record_update AFTER UPDATE ON %I'
                       ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows()', t);
        EXECUTE format('CREATE TRIGGER activity_record_delete AFTER DELETE ON %I'
                       ' REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION activity_record_rows()', t);
    END LOOP;
END
$$;

-- Frameworks are created and deleted whole; requirements and mappings go
-- with them (ON DELETE CASCADE).
GRANT SELECT, INSERT, DELETE ON frameworks TO isms_app;
GRANT SELECT, INSERT ON requirements TO isms_app;
GRANT SELECT ON requirement_mappings TO isms_app;

-- A requirement a tenant row may point at: global or the tenant's own, and
-- of the kinds the referring table allows (TG_ARGV: the kinds, then the
-- field to name in the error).
CREATE FUNCTION requirement_visible() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM requirements r
                    WHERE r.id = NEW.requirement_id
                      AND (r.tenant_id IS NULL OR r.tenant_id = NEW.tenant_id)
                      AND r.kind = ANY (string_to_array(TG_ARGV[0], ','))) THEN
        RAISE EXCEPTION 'The requirement % does not exist or cannot be linked here.',
                        NEW.requirement_id
            USING ERRCODE = 'IS422', COLUMN = TG_ARGV[1];
    END IF;
    RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- Controls: what the tenant has implemented (or plans to), with owner,
-- status, effectiveness and the requirements each one addresses.

CREATE TABLE controls (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description     text CHECK (char_length(description) <= 10000),
    owner_id        uuid,
    status          text NOT NULL DEFAULT 'not_started'
                    CHECK (status IN ('not_started', 'planned', 'partial', 'implemented',
                                      'not_applicable')),
    implemented_on  date,
    effectiveness   text NOT NULL DEFAULT 'not_assessed'
                    CHECK (effectiveness IN ('effective', 'partially_effective', 'ineffective',
                                             'not_assessed')),
    review_date     date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    updated_by      uuid,
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    -- Tenant-inclusive: the owner is a member of this tenant. A member who
    -- leaves leaves the control without an owner.
    CONSTRAINT controls_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES memberships (tenant_id, user_id) ON DELETE SET NULL (owner_id)
);

CREATE INDEX controls_page_idx ON controls (tenant_id, created_at, id);
CREATE INDEX controls_name_idx ON controls (tenant_id, name, id);
CREATE INDEX controls_owner_idx ON controls (tenant_id, owner_id) WHERE owner_id IS NOT NULL;

CALL tenant_table_setup('controls');
GRANT SELECT, INSERT, UPDATE, DELETE ON controls TO isms_app;

-- Becoming implemented dates the implementation when the client gave no
-- date.
CREATE FUNCTION controls_lifecycle() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NEW.status = 'implemented'
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'implemented') THEN
        NEW.implemented_on := coalesce(NEW.implemented_on, current_date);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE ON controls
    FOR EACH ROW EXECUTE FUNCTION controls_lifecycle();

CREATE TABLE control_requirements (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    control_id      uuid NOT NULL,
    requirement_id  uuid NOT NULL REFERENCES requirements (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    updated_by      uuid,
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, control_id, requirement_id),
    FOREIGN KEY (tenant_id, control_id) REFERENCES controls (tenant_id, id) ON DELETE CASCADE
);

-- The SoA walks from a requirement to its controls.
CREATE INDEX control_requirements_requirement_idx
    ON control_requirements (tenant_id, requirement_id);

CALL tenant_table_setup('control_requirements', 'control_id');
GRANT SELECT, INSERT, DELETE ON control_requirements TO isms_app;

CREATE TRIGGER requirement_visible BEFORE INSERT OR UPDATE ON control_requirements
    FOR EACH ROW EXECUTE FUNCTION requirement_visible('clause,control,enhancement',
                                                      'requirement_ids');

-- Risk treatments (0006) name the controls they rely on; the link must
-- stay inside the tenant. Applied only when that table exists, so that
-- this migration also applies to a database without the risk register.
DO $$
BEGIN
    IF to_regclass('public.risk_treatment_controls') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_constraint
                        WHERE conname = 'risk_treatment_controls_control_fkey'
                          AND conrelid = to_regclass('public.risk_treatment_controls')) THEN
        ALTER TABLE risk_treatment_controls
            ADD CONSTRAINT risk_treatment_controls_control_fkey
            FOREIGN KEY (tenant_id, control_id) REFERENCES controls (tenant_id, id);
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- Evidence: a file (its bytes in evidence_content, so that lists never
-- read them; SHA-256 recorded at upload) or a link, valid between two
-- dates (inclusive, either open), linked to controls.

CREATE TABLE evidence (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    title         text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description   text CHECK (char_length(description) <= 10000),
    kind          text NOT NULL CHECK (kind IN ('file', 'link')),
    url           text CHECK (char_length(url) BETWEEN 1 AND 2000 AND url ~* '^https?://'),
    filename      text CHECK (char_length(filename) BETWEEN 1 AND 255),
    content_type  text CHECK (char_length(content_type) BETWEEN 1 AND 200),
    size          bigint CHECK (size > 0),
    sha256        bytea CHECK (length(sha256) = 32),
    valid_from    date,
    valid_until   date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    updated_by    uuid,
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT evidence_validity CHECK (valid_until >= valid_from),
    CONSTRAINT evidence_kind_fields CHECK (
        CASE kind
        WHEN 'file' THEN url IS NULL AND filename IS NOT NULL AND content_type IS NOT NULL
                         AND size IS NOT NULL AND sha256 IS NOT NULL
        ELSE url IS NOT NULL AND filename IS NULL AND content_type IS NULL AND size IS NULL
             AND sha256 IS NULL
        END)
);

CREATE INDEX evidence_page_idx ON evidence (tenant_id, created_at, id);

CALL tenant_table_setup('evidence');
GRANT SELECT, INSERT, UPDATE, DELETE ON evidence TO isms_app;

-- The bytes. Bookkeeping beside the evidence row, whose history already
-- records the hash: no stamps, no activity entries. Stored uncompressed
-- out of line (documents and images rarely compress).
CREATE TABLE evidence_content (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    evidence_id  uuid NOT NULL,
    content      bytea NOT NULL,
    PRIMARY KEY (tenant_id, evidence_id),
    FOREIGN KEY (tenant_id, evidence_id) REFERENCES evidence (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE evidence_content ALTER COLUMN content SET STORAGE EXTERNAL;

CALL tenant_rls_setup('evidence_content');
GRANT SELECT, INSERT ON evidence_content TO isms_app;

-- The bytes never change: an upload is a new piece of evidence.
CREATE FUNCTION evidence_content_immutable() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'evidence content cannot be changed' USING ERRCODE = 'IS409';
END
$$;

CREATE TRIGGER immutable BEFORE UPDATE ON evidence_content
    FOR EACH ROW EXECUTE FUNCTION evidence_content_immutable();

CREATE TABLE evidence_controls (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    evidence_id  uuid NOT NULL,
    control_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid,
    updated_by   uuid,
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, evidence_id, control_id),
    FOREIGN KEY (tenant_id, evidence_id) REFERENCES evidence (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, control_id) REFERENCES controls (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX evidence_controls_control_idx ON evidence_controls (tenant_id, control_id);

CALL tenant_table_setup('evidence_controls', 'evidence_id');
GRANT SELECT, INSERT, DELETE ON evidence_controls TO isms_app;

-- ---------------------------------------------------------------------------
-- Statement of Applicability: per requirement of kind control or
-- enhancement, included (with at least one reason: risk_treatment,
-- legal, contractual, business, best_practice; an optional note) or
-- excluded (with its justification). No row: not decided yet.

CREATE TABLE soa_entries (
    tenant_id                uuid NOT NULL REFERENCES tenants (id),
    requirement_id           uuid NOT NULL REFERENCES requirements (id),
    applicable               boolean NOT NULL,
    justification_reasons    text[] NOT NULL DEFAULT '{}'
                             CHECK (justification_reasons <@ ARRAY['risk_treatment', 'legal',
                                        'contractual', 'business', 'best_practice']
                                    AND array_position(justification_reasons, NULL) IS NULL),
    justification            text CHECK (char_length(justification) BETWEEN 1 AND 10000),
    exclusion_justification  text CHECK (char_length(exclusion_justification) BETWEEN 1 AND 10000),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    created_by               uuid,
    updated_by               uuid,
    version                  integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, requirement_id),
    CONSTRAINT soa_entries_justified CHECK (
        CASE WHEN applicable
             THEN cardinality(justification_reasons) >= 1 AND exclusion_justification IS NULL
             ELSE cardinality(justification_reasons) = 0 AND exclusion_justification IS NOT NULL
        END)
);

CALL tenant_table_setup('soa_entries', 'requirement_id');
GRANT SELECT, INSERT, UPDATE ON soa_entries TO isms_app;

CREATE TRIGGER requirement_visible BEFORE INSERT OR UPDATE ON soa_entries
    FOR EACH ROW EXECUTE FUNCTION requirement_visible('control,enhancement',
                                                      'requirement_id');

-- Approved versions: the statement as it was when approved, frozen.
-- `number` counts the tenant's versions from 1.
CREATE TABLE soa_versions (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    number        integer NOT NULL CHECK (number > 0),
    framework_id  uuid NOT NULL REFERENCES frameworks (id),
    approved_by   uuid NOT NULL REFERENCES users (id),
    approved_at   timestamptz NOT NULL DEFAULT now(),
    note          text CHECK (char_length(note) BETWEEN 1 AND 2000),
    snapshot      jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid,
    updated_by    uuid,
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number)
);

CALL tenant_table_setup('soa_versions');
GRANT SELECT, INSERT ON soa_versions TO isms_app;

CREATE FUNCTION soa_versions_frozen() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
    AS $$
BEGIN
    RAISE EXCEPTION 'an approved Statement of Applicability version cannot be changed'
        USING ERRCODE = 'IS409';
END
$$;

CREATE TRIGGER frozen BEFORE UPDATE OR DELETE ON soa_versions
    FOR EACH ROW EXECUTE FUNCTION soa_versions_frozen();

-- ---------------------------------------------------------------------------
-- Read helpers for the service. Plain SQL, run with the caller's rights:
-- row-level security applies inside them. COST tells the planner to run
-- them only for the rows a page returns.

-- Evidence validity today: upcoming, valid or expired.
CREATE FUNCTION evidence_state(p_from date, p_until date)
    RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN p_until < current_date THEN 'expired'
                WHEN p_from > current_date THEN 'upcoming'
                ELSE 'valid' END
$$;

-- valid: some linked evidence is valid today; expired: evidence is
-- linked, none valid today; missing: none linked.
CREATE FUNCTION control_evidence_status(p_control uuid)
    RETURNS text
    LANGUAGE sql STABLE COST 1000
    AS $$
    SELECT CASE WHEN bool_or(evidence_state(e.valid_from, e.valid_until) = 'valid') THEN 'valid'
                WHEN count(*) > 0 THEN 'expired'
                ELSE 'missing' END
      FROM evidence_controls ec
      JOIN evidence e ON e.tenant_id = ec.tenant_id AND e.id = ec.evidence_id
     WHERE ec.tenant_id = app_tenant_id() AND ec.control_id = p_control
$$;

-- A control that is (partly) implemented needs evidence valid today.
CREATE FUNCTION control_needs_evidence(p_status text, p_control uuid)
    RETURNS boolean
    LANGUAGE sql STABLE COST 1000
    AS $$
    SELECT p_status IN ('partial', 'implemented')
           AND control_evidence_status(p_control) <> 'valid'
$$;

-- Requirements as the API shows them in a control, from a JSON array of
-- ids (those the tenant cannot see are left out).
CREATE FUNCTION requirements_json(p_ids jsonb)
    RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', r.id, 'framework', f.slug, 'ref', r.ref, 'title', r.title,
               'kind', r.kind) ORDER BY f.slug, r.sort_order), '[]')
      FROM requirements r
      JOIN frameworks f ON f.id = r.framework_id
     WHERE r.id IN (SELECT x::uuid FROM jsonb_array_elements_text(p_ids) x)
$$;

CREATE FUNCTION control_requirements_json(p_control uuid)
    RETURNS jsonb
    LANGUAGE sql STABLE COST 1000
    AS $$
    SELECT requirements_json(coalesce(jsonb_agg(cr.requirement_id), '[]'))
      FROM control_requirements cr
     WHERE cr.tenant_id = app_tenant_id() AND cr.control_id = p_control
$$;

CREATE FUNCTION control_evidence_json(p_control uuid)
    RETURNS jsonb
    LANGUAGE sql STABLE COST 1000
    AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', e.id, 'title', e.title, 'kind', e.kind,
               'valid_from', e.valid_from, 'valid_until', e.valid_until,
               'state', evidence_state(e.valid_from, e.valid_until))
               ORDER BY e.created_at, e.id), '[]')
      FROM evidence_controls ec
      JOIN evidence e ON e.tenant_id = ec.tenant_id AND e.id = ec.evidence_id
     WHERE ec.tenant_id = app_tenant_id() AND ec.control_id = p_control
$$;

CREATE FUNCTION evidence_control_ids(p_evidence uuid)
    RETURNS jsonb
    LANGUAGE sql STABLE COST 1000
    AS $$
    SELECT coalesce(jsonb_agg(ec.control_id ORDER BY ec.created_at, ec.control_id), '[]')
      FROM evidence_controls ec
     WHERE ec.tenant_id = app_tenant_id() AND ec.evidence_id = p_evidence
$$;

-- Why a control may not be written as given, one (field, message) per
-- reason; the service writes nothing when there is one.
CREATE FUNCTION control_problems(p_owner uuid, p_requirement_ids jsonb)
    RETURNS TABLE (field text, message text)
    LANGUAGE sql STABLE
    AS $$
    SELECT 'owner_id', 'must be a member of this tenant'
     WHERE p_owner IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM memberships m
                        WHERE m.tenant_id = app_tenant_id() AND m.user_id = p_owner)
    UNION ALL
    SELECT format('requirement_ids[%s]', x.ord - 1),
           'is not a clause, control or enhancement of a framework this tenant uses'
      FROM jsonb_array_elements_text(coalesce(p_requirement_ids, '[]')) WITH ORDINALITY AS x(id, ord)
     WHERE NOT EXISTS (SELECT 1 FROM requirements r
                        WHERE r.id = x.id::uuid
                          AND r.kind IN ('clause', 'control', 'enhancement'))
$$;

CREATE FUNCTION evidence_problems(p_control_ids jsonb, p_from date, p_until date)
    RETURNS TABLE (field text, message text)
    LANGUAGE sql STABLE
    AS $$
    SELECT format('control_ids[%s]', x.ord - 1), 'is not a control of this tenant'
      FROM jsonb_array_elements_text(coalesce(p_control_ids, '[]')) WITH ORDINALITY AS x(id, ord)
     WHERE NOT EXISTS (SELECT 1 FROM controls c
                        WHERE c.tenant_id = app_tenant_id() AND c.id = x.id::uuid)
    UNION ALL
    SELECT 'valid_until', 'must not be before valid_from'
     WHERE p_until < p_from
$$;

-- ---------------------------------------------------------------------------
-- Risks behind controls, through the risk treatments that rely on them
-- (0006). Without the risk register these answer an empty list.

DO $$
BEGIN
    IF to_regclass('public.risk_treatment_controls') IS NOT NULL THEN
        EXECUTE $f$
            CREATE FUNCTION control_risks(p_control uuid)
                RETURNS jsonb
                LANGUAGE sql STABLE COST 1000
                AS $body$
                SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object(
                           'id', r.id, 'title', r.title)), '[]')
                  FROM risk_treatment_controls tc
                  JOIN risk_treatments t ON t.tenant_id = tc.tenant_id AND t.id = tc.treatment_id
                  JOIN risks r ON r.tenant_id = t.tenant_id AND r.id = t.risk_id
                 WHERE tc.tenant_id = app_tenant_id() AND tc.control_id = p_control
            $body$ $f$;
        EXECUTE $f$
            CREATE FUNCTION requirement_risks(p_requirement uuid)
                RETURNS jsonb
                LANGUAGE sql STABLE COST 1000
                AS $body$
                SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object(
                           'id', r.id, 'title', r.title)), '[]')
                  FROM control_requirements cr
                  JOIN risk_treatment_controls tc
                    ON tc.tenant_id = cr.tenant_id AND tc.control_id = cr.control_id
                  JOIN risk_treatments t ON t.tenant_id = tc.tenant_id AND t.id = tc.treatment_id
                  JOIN risks r ON r.tenant_id = t.tenant_id AND r.id = t.risk_id
                 WHERE cr.tenant_id = app_tenant_id() AND cr.requirement_id = p_requirement
            $body$ $f$;
    ELSE
        CREATE FUNCTION control_risks(p_control uuid)
            RETURNS jsonb
            LANGUAGE sql IMMUTABLE
            AS $body$ SELECT '[]'::jsonb $body$;
        CREATE FUNCTION requirement_risks(p_requirement uuid)
            RETURNS jsonb
            LANGUAGE sql IMMUTABLE
            AS $body$ SELECT '[]'::jsonb $body$;
    END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- The Statement of Applicability of one framework: every requirement of
-- kind control or enhancement, in the framework's order, with its
-- applicability (included, excluded, or undecided when no entry exists),
-- the justification, the implementation status derived from the linked
-- controls (not_applicable when excluded; otherwise the least advanced of
-- the linked controls that apply, not_started when there are none), and
-- the controls and risks behind it. The same JSON is frozen into
-- soa_versions.snapshot. p_requirement narrows it to one requirement.

CREATE FUNCTION soa_items(p_framework uuid, p_requirement uuid DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(jsonb_agg(s.item ORDER BY s.sort_order), '[]')
      FROM (
        SELECT q.sort_order, jsonb_build_object(
                   'requirement_id', q.id,
                   'ref', q.ref,
                   'title', q.title,
                   'kind', q.kind,
                   'theme', q.theme,
                   'applicability', CASE WHEN e.applicable IS NULL THEN 'undecided'
                                         WHEN e.applicable THEN 'included'
                                         ELSE 'excluded' END,
                   'justification_reasons',
                       to_jsonb(coalesce(e.justification_reasons, '{}'::text[])),
                   'justification', e.justification,
                   'exclusion_justification', e.exclusion_justification,
                   'implementation_status',
                       CASE WHEN NOT e.applicable THEN 'not_applicable'
                            ELSE coalesce(c.least_status, 'not_started') END,
                   'controls', coalesce(c.list, '[]'),
                   'risks', requirement_risks(q.id),
                   'version', e.version,
                   'updated_at', to_char(e.updated_at AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   'updated_by', e.updated_by) AS item
          FROM requirements q
          LEFT JOIN soa_entries e
                 ON e.tenant_id = app_tenant_id() AND e.requirement_id = q.id
          LEFT JOIN LATERAL (
                SELECT jsonb_agg(jsonb_build_object(
                           'id', k.id, 'name', k.name, 'status', k.status,
                           'effectiveness', k.effectiveness,
                           'needs_evidence', control_needs_evidence(k.status, k.id))
                           ORDER BY k.name, k.id) AS list,
                       (ARRAY['not_started', 'planned', 'partial', 'implemented'])[
                           min(array_position(ARRAY['not_started', 'planned', 'partial',
                                                    'implemented'], k.status))] AS least_status
                  FROM control_requirements cr
                  JOIN controls k ON k.tenant_id = cr.tenant_id AND k.id = cr.control_id
                 WHERE cr.tenant_id = app_tenant_id() AND cr.requirement_id = q.id) c ON true
         WHERE q.framework_id = p_framework AND q.kind IN ('control', 'enhancement')
           AND (p_requirement IS NULL OR q.id = p_requirement)) s
$$;

-- Counts over a statement's items.
CREATE FUNCTION soa_summary(p_items jsonb)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT jsonb_build_object(
               'total', count(*),
               'included', count(*) FILTER (WHERE i ->> 'applicability' = 'included'),
               'excluded', count(*) FILTER (WHERE i ->> 'applicability' = 'excluded'),
               'undecided', count(*) FILTER (WHERE i ->> 'applicability' = 'undecided'),
               'implementation_status', jsonb_build_object(
                   'not_started', count(*) FILTER (WHERE i ->> 'implementation_status' = 'not_started'),
                   'planned', count(*) FILTER (WHERE i ->> 'implementation_status' = 'planned'),
                   'partial', count(*) FILTER (WHERE i ->> 'implementation_status' = 'partial'),
                   'implemented', count(*) FILTER (WHERE i ->> 'implementation_status' = 'implemented'),
                   'not_applicable', count(*) FILTER (WHERE i ->> 'implementation_status' = 'not_applicable')))
      FROM jsonb_array_elements(p_items) AS x(i)
$$;

-- What changed between two statements' items (an older, a newer): one
-- element per requirement whose applicability, justification or
-- implementation status differs, or that only one of them has.
CREATE FUNCTION soa_diff(p_from jsonb, p_to jsonb)
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
    WITH a AS (SELECT x ->> 'requirement_id' AS rid, x AS item, ord
                 FROM jsonb_array_elements(p_from) WITH ORDINALITY AS t(x, ord)),
         b AS (SELECT x ->> 'requirement_id' AS rid, x AS item, ord
                 FROM jsonb_array_elements(p_to) WITH ORDINALITY AS t(x, ord)),
         fields(name) AS (VALUES ('applicability'), ('justification_reasons'),
                                 ('justification'), ('exclusion_justification'),
                                 ('implementation_status')),
         pairs AS (
             SELECT coalesce(b.rid, a.rid) AS rid, a.item AS old, b.item AS new,
                    coalesce(b.ord, 1000000 + a.ord) AS ord,
                    ARRAY(SELECT f.name FROM fields f
                           WHERE a.item IS NULL OR b.item IS NULL
                              OR a.item -> f.name IS DISTINCT FROM b.item -> f.name) AS changed
               FROM a FULL JOIN b ON a.rid = b.rid)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'requirement_id', p.rid,
               'ref', coalesce(p.new ->> 'ref', p.old ->> 'ref'),
               'title', coalesce(p.new ->> 'title', p.old ->> 'title'),
               'changes', to_jsonb(p.changed),
               'from', CASE WHEN p.old IS NULL THEN NULL ELSE jsonb_build_object(
                   'applicability', p.old -> 'applicability',
                   'justification_reasons', p.old -> 'justification_reasons',
                   'justification', p.old -> 'justification',
                   'exclusion_justification', p.old -> 'exclusion_justification',
                   'implementation_status', p.old -> 'implementation_status') END,
               'to', CASE WHEN p.new IS NULL THEN NULL ELSE jsonb_build_object(
                   'applicability', p.new -> 'applicability',
                   'justification_reasons', p.new -> 'justification_reasons',
                   'justification', p.new -> 'justification',
                   'exclusion_justification', p.new -> 'exclusion_justification',
                   'implementation_status', p.new -> 'implementation_status') END)
               ORDER BY p.ord), '[]')
      FROM pairs p
     WHERE cardinality(p.changed) > 0
$$;

GRANT EXECUTE ON FUNCTION evidence_state(date, date), control_evidence_status(uuid),
    control_needs_evidence(text, uuid), requirements_json(jsonb),
    control_requirements_json(uuid),
    control_evidence_json(uuid), evidence_control_ids(uuid),
    control_problems(uuid, jsonb), evidence_problems(jsonb, date, date),
    control_risks(uuid), requirement_risks(uuid), soa_items(uuid, uuid),
    soa_summary(jsonb), soa_diff(jsonb, jsonb)
    TO isms_app;
