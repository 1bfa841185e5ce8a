-- The control catalogs and the Statement of Applicability on the database
-- side (0007): the seeded ISO/IEC 27001 catalogs against the reference
-- facts (ids, titles, themes, domains, clause numbers, the 2013 -> 2022
-- mapping, the ISO/IEC 27002:2022 attribute counts), the isolation of
-- global and tenant catalog rows, the tenant-only links into catalogs,
-- immutable evidence bytes and SoA versions, and the SoA derivation.
BEGIN;
SELECT plan(49);
\ir fixture.psql

-- The reference facts, as published lists (copied here, not read from
-- the seed): ISO/IEC 27001:2022 Annex A (id, title, theme) ------------------

CREATE TEMP TABLE ref_2022 (ord serial, id text, title text, theme text);
INSERT INTO ref_2022 (id, title, theme) VALUES
    ('5.1', 'Policies for information security', 'organizational'),
    ('5.2', 'Information security roles and responsibilities', 'organizational'),
    ('5.3', 'Segregation of duties', 'organizational'),
    ('5.4', 'Management responsibilities', 'organizational'),
    ('5.5', 'Contact with authorities', 'organizational'),
    ('5.6', 'Contact with special interest groups', 'organizational'),
    ('5.7', 'Threat intelligence', 'organizational'),
    ('5.8', 'Information security in project management', 'organizational'),
    ('5.9', 'Inventory of information and other associated assets', 'organizational'),
    ('5.10', 'Acceptable use of information and other associated assets', 'organizational'),
    ('5.11', 'Return of assets', 'organizational'),
    ('5.12', 'Classification of information', 'organizational'),
    ('5.13', 'Labelling of information', 'organizational'),
    ('5.14', 'Information transfer', 'organizational'),
    ('5.15', 'Access control', 'organizational'),
    ('5.16', 'Identity management', 'organizational'),
    ('5.17', 'Authentication information', 'organizational'),
    ('5.18', 'Access rights', 'organizational'),
    ('5.19', 'Information security in supplier relationships', 'organizational'),
    ('5.20', 'Addressing information security within supplier agreements', 'organizational'),
    ('5.21', 'Managing information security in the ICT supply chain', 'organizational'),
    ('5.22', 'Monitoring, review and change management of supplier services', 'organizational'),
    ('5.23', 'Information security for use of cloud services', 'organizational'),
    ('5.24', 'Information security incident management planning and preparation', 'organizational'),
    ('5.25', 'Assessment and decision on information security events', 'organizational'),
    ('5.26', 'Response to information security incidents', 'organizational'),
    ('5.27', 'Learning from information security incidents', 'organizational'),
    ('5.28', 'Collection of evidence', 'organizational'),
    ('5.29', 'Information security during disruption', 'organizational'),
    ('5.30', 'ICT readiness for business continuity', 'organizational'),
    ('5.31', 'Legal, statutory, regulatory and contractual requirements', 'organizational'),
    ('5.32', 'Intellectual property rights', 'organizational'),
    ('5.33', 'Protection of records', 'organizational'),
    ('5.34', 'Privacy and protection of PII', 'organizational'),
    ('5.35', 'Independent review of information security', 'organizational'),
    ('5.36', 'Compliance with policies, rules and standards for information security', 'organizational'),
    ('5.37', 'Documented operating procedures', 'organizational'),
    ('6.1', 'Screening', 'people'),
    ('6.2', 'Terms and conditions of employment', 'people'),
    ('6.3', 'Information security awareness, education and training', 'people'),
    ('6.4', 'Disciplinary process', 'people'),
    ('6.5', 'Responsibilities after termination or change of employment', 'people'),
    ('6.6', 'Confidentiality or non-disclosure agreements', 'people'),
    ('6.7', 'Remote working', 'people'),
    ('6.8', 'Information security event reporting', 'people'),
    ('7.1', 'Physical security perimeters', 'physical'),
    ('7.2', 'Physical entry', 'physical'),
    ('7.3', 'Securing offices, rooms and facilities', 'physical'),
    ('7.4', 'Physical security monitoring', 'physical'),
    ('7.5', 'Protecting against physical and environmental threats', 'physical'),
    ('7.6', 'Working in secure areas', 'physical'),
    ('7.7', 'Clear desk and clear screen', 'physical'),
    ('7.8', 'Equipment siting and protection', 'physical'),
    ('7.9', 'Security of assets off-premises', 'physical'),
    ('7.10', 'Storage media', 'physical'),
    ('7.11', 'Supporting utilities', 'physical'),
    ('7.12', 'Cabling security', 'physical'),
    ('7.13', 'Equipment maintenance', 'physical'),
    ('7.14', 'Secure disposal or re-use of equipment', 'physical'),
    ('8.1', 'User end point devices', 'technological'),
    ('8.2', 'Privileged access rights', 'technological'),
    ('8.3', 'Information access restriction', 'technological'),
    ('8.4', 'Access to source code', 'technological'),
    ('8.5', 'Secure authentication', 'technological'),
    ('8.6', 'Capacity management', 'technological'),
    ('8.7', 'Protection against malware', 'technological'),
    ('8.8', 'Management of technical vulnerabilities', 'technological'),
    ('8.9', 'Configuration management', 'technological'),
    ('8.10', 'Information deletion', 'technological'),
    ('8.11', 'Data masking', 'technological'),
    ('8.12', 'Data leakage prevention', 'technological'),
    ('8.13', 'Information backup', 'technological'),
    ('8.14', 'Redundancy of information processing facilities', 'technological'),
    ('8.15', 'Logging', 'technological'),
    ('8.16', 'Monitoring activities', 'technological'),
    ('8.17', 'Clock synchronization', 'technological'),
    ('8.18', 'Use of privileged utility programs', 'technological'),
    ('8.19', 'Installation of software on operational systems', 'technological'),
    ('8.20', 'Networks security', 'technological'),
    ('8.21', 'Security of network services', 'technological'),
    ('8.22', 'Segregation of networks', 'technological'),
    ('8.23', 'Web filtering', 'technological'),
    ('8.24', 'Use of cryptography', 'technological'),
    ('8.25', 'Secure development life cycle', 'technological'),
    ('8.26', 'Application security requirements', 'technological'),
    ('8.27', 'Secure system architecture and engineering principles', 'technological'),
    ('8.28', 'Secure coding', 'technological'),
    ('8.29', 'Security testing in development and acceptance', 'technological'),
    ('8.30', 'Outsourced development', 'technological'),
    ('8.31', 'Separation of development, test and production environments', 'technological'),
    ('8.32', 'Change management', 'technological'),
    ('8.33', 'Test information', 'technological'),
    ('8.34', 'Protection of information systems during audit testing', 'technological');

CREATE TEMP TABLE ref_2013 (ord serial, id text, title text, domain text);
INSERT INTO ref_2013 (id, title, domain) VALUES
    ('A.5.1.1', 'Policies for information security', 'A.5 Information security policies'),
    ('A.5.1.2', 'Review of the policies for information security', 'A.5 Information security policies'),
    ('A.6.1.1', 'Information security roles and responsibilities', 'A.6 Organization of information security'),
    ('A.6.1.2', 'Segregation of duties', 'A.6 Organization of information security'),
    ('A.6.1.3', 'Contact with authorities', 'A.6 Organization of information security'),
    ('A.6.1.4', 'Contact with special interest groups', 'A.6 Organization of information security'),
    ('A.6.1.5', 'Information security in project management', 'A.6 Organization of information security'),
    ('A.6.2.1', 'Mobile device policy', 'A.6 Organization of information security'),
    ('A.6.2.2', 'Teleworking', 'A.6 Organization of information security'),
    ('A.7.1.1', 'Screening', 'A.7 Human resource security'),
    ('A.7.1.2', 'Terms and conditions of employment', 'A.7 Human resource security'),
    ('A.7.2.1', 'Management responsibilities', 'A.7 Human resource security'),
    ('A.7.2.2', 'Information security awareness, education and training', 'A.7 Human resource security'),
    ('A.7.2.3', 'Disciplinary process', 'A.7 Human resource security'),
    ('A.7.3.1', 'Termination or change of employment responsibilities', 'A.7 Human resource security'),
    ('A.8.1.1', 'Inventory of assets', 'A.8 Asset management'),
    ('A.8.1.2', 'Ownership of assets', 'A.8 Asset management'),
    ('A.8.1.3', 'Acceptable use of assets', 'A.8 Asset management'),
    ('A.8.1.4', 'Return of assets', 'A.8 Asset management'),
    ('A.8.2.1', 'Classification of information', 'A.8 Asset management'),
    ('A.8.2.2', 'Labelling of information', 'A.8 Asset management'),
    ('A.8.2.3', 'Handling of assets', 'A.8 Asset management'),
    ('A.8.3.1', 'Management of removable media', 'A.8 Asset management'),
    ('A.8.3.2', 'Disposal of media', 'A.8 Asset management'),
    ('A.8.3.3', 'Physical media transfer', 'A.8 Asset management'),
    ('A.9.1.1', 'Access control policy', 'A.9 Access control'),
    ('A.9.1.2', 'Access to networks and network services', 'A.9 Access control'),
    ('A.9.2.1', 'User registration and de-registration', 'A.9 Access control'),
    ('A.9.2.2', 'User access provisioning', 'A.9 Access control'),
    ('A.9.2.3', 'Management of privileged access rights', 'A.9 Access control'),
    ('A.9.2.4', 'Management of secret authentication information of users', 'A.9 Access control'),
    ('A.9.2.5', 'Review of user access rights', 'A.9 Access control'),
    ('A.9.2.6', 'Removal or adjustment of access rights', 'A.9 Access control'),
    ('A.9.3.1', 'Use of secret authentication information', 'A.9 Access control'),
    ('A.9.4.1', 'Information access restriction', 'A.9 Access control'),
    ('A.9.4.2', 'Secure log-on procedures', 'A.9 Access control'),
    ('A.9.4.3', 'Password management system', 'A.9 Access control'),
    ('A.9.4.4', 'Use of privileged utility programs', 'A.9 Access control'),
    ('A.9.4.5', 'Access control to program source code', 'A.9 Access control'),
    ('A.10.1.1', 'Policy on the use of cryptographic controls', 'A.10 Cryptography'),
    ('A.10.1.2', 'Key management', 'A.10 Cryptography'),
    ('A.11.1.1', 'Physical security perimeter', 'A.11 Physical and environmental security'),
    ('A.11.1.2', 'Physical entry controls', 'A.11 Physical and environmental security'),
    ('A.11.1.3', 'Securing offices, rooms and facilities', 'A.11 Physical and environmental security'),
    ('A.11.1.4', 'Protecting against external and environmental threats', 'A.11 Physical and environmental security'),
    ('A.11.1.5', 'Working in secure areas', 'A.11 Physical and environmental security'),
    ('A.11.1.6', 'Delivery and loading areas', 'A.11 Physical and environmental security'),
    ('A.11.2.1', 'Equipment siting and protection', 'A.11 Physical and environmental security'),
    ('A.11.2.2', 'Supporting utilities', 'A.11 Physical and environmental security'),
    ('A.11.2.3', 'Cabling security', 'A.11 Physical and environmental security'),
    ('A.11.2.4', 'Equipment maintenance', 'A.11 Physical and environmental security'),
    ('A.11.2.5', 'Removal of assets', 'A.11 Physical and environmental security'),
    ('A.11.2.6', 'Security of equipment and assets off-premises', 'A.11 Physical and environmental security'),
    ('A.11.2.7', 'Secure disposal or re-use of equipment', 'A.11 Physical and environmental security'),
    ('A.11.2.8', 'Unattended user equipment', 'A.11 Physical and environmental security'),
    ('A.11.2.9', 'Clear desk and clear screen policy', 'A.11 Physical and environmental security'),
    ('A.12.1.1', 'Documented operating procedures', 'A.12 Operations security'),
    ('A.12.1.2', 'Change management', 'A.12 Operations security'),
    ('A.12.1.3', 'Capacity management', 'A.12 Operations security'),
    ('A.12.1.4', 'Separation of development, testing and operational environments', 'A.12 Operations security'),
    ('A.12.2.1', 'Controls against malware', 'A.12 Operations security'),
    ('A.12.3.1', 'Information backup', 'A.12 Operations security'),
    ('A.12.4.1', 'Event logging', 'A.12 Operations security'),
    ('A.12.4.2', 'Protection of log information', 'A.12 Operations security'),
    ('A.12.4.3', 'Administrator and operator logs', 'A.12 Operations security'),
    ('A.12.4.4', 'Clock synchronisation', 'A.12 Operations security'),
    ('A.12.5.1', 'Installation of software on operational systems', 'A.12 Operations security'),
    ('A.12.6.1', 'Management of technical vulnerabilities', 'A.12 Operations security'),
    ('A.12.6.2', 'Restrictions on software installation', 'A.12 Operations security'),
    ('A.12.7.1', 'Information systems audit controls', 'A.12 Operations security'),
    ('A.13.1.1', 'Network controls', 'A.13 Communications security'),
    ('A.13.1.2', 'Security of network services', 'A.13 Communications security'),
    ('A.13.1.3', 'Segregation in networks', 'A.13 Communications security'),
    ('A.13.2.1', 'Information transfer policies and procedures', 'A.13 Communications security'),
    ('A.13.2.2', 'Agreements on information transfer', 'A.13 Communications security'),
    ('A.13.2.3', 'Electronic messaging', 'A.13 Communications security'),
    ('A.13.2.4', 'Confidentiality or non-disclosure agreements', 'A.13 Communications security'),
    ('A.14.1.1', 'Information security requirements analysis and specification', 'A.14 System acquisition, development and maintenance'),
    ('A.14.1.2', 'Securing application services on public networks', 'A.14 System acquisition, development and maintenance'),
    ('A.14.1.3', 'Protecting application services transactions', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.1', 'Secure development policy', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.2', 'System change control procedures', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.3', 'Technical review of applications after operating platform changes', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.4', 'Restrictions on changes to software packages', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.5', 'Secure system engineering principles', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.6', 'Secure development environment', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.7', 'Outsourced development', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.8', 'System security testing', 'A.14 System acquisition, development and maintenance'),
    ('A.14.2.9', 'System acceptance testing', 'A.14 System acquisition, development and maintenance'),
    ('A.14.3.1', 'Protection of test data', 'A.14 System acquisition, development and maintenance'),
    ('A.15.1.1', 'Information security policy for supplier relationships', 'A.15 Supplier relationships'),
    ('A.15.1.2', 'Addressing security within supplier agreements', 'A.15 Supplier relationships'),
    ('A.15.1.3', 'Information and communication technology supply chain', 'A.15 Supplier relationships'),
    ('A.15.2.1', 'Monitoring and review of supplier services', 'A.15 Supplier relationships'),
    ('A.15.2.2', 'Managing changes to supplier services', 'A.15 Supplier relationships'),
    ('A.16.1.1', 'Responsibilities and procedures', 'A.16 Information security incident management'),
    ('A.16.1.2', 'Reporting information security events', 'A.16 Information security incident management'),
    ('A.16.1.3', 'Reporting information security weaknesses', 'A.16 Information security incident management'),
    ('A.16.1.4', 'Assessment of and decision on information security events', 'A.16 Information security incident management'),
    ('A.16.1.5', 'Response to information security incidents', 'A.16 Information security incident management'),
    ('A.16.1.6', 'Learning from information security incidents', 'A.16 Information security incident management'),
    ('A.16.1.7', 'Collection of evidence', 'A.16 Information security incident management'),
    ('A.17.1.1', 'Planning information security continuity', 'A.17 Information security aspects of business continuity management'),
    ('A.17.1.2', 'Implementing information security continuity', 'A.17 Information security aspects of business continuity management'),
    ('A.17.1.3', 'Verify, review and evaluate information security continuity', 'A.17 Information security aspects of business continuity management'),
    ('A.17.2.1', 'Availability of information processing facilities', 'A.17 Information security aspects of business continuity management'),
    ('A.18.1.1', 'Identification of applicable legislation and contractual requirements', 'A.18 Compliance'),
    ('A.18.1.2', 'Intellectual property rights', 'A.18 Compliance'),
    ('A.18.1.3', 'Protection of records', 'A.18 Compliance'),
    ('A.18.1.4', 'Privacy and protection of personally identifiable information', 'A.18 Compliance'),
    ('A.18.1.5', 'Regulation of cryptographic controls', 'A.18 Compliance'),
    ('A.18.2.1', 'Independent review of information security', 'A.18 Compliance'),
    ('A.18.2.2', 'Compliance with security policies and standards', 'A.18 Compliance'),
    ('A.18.2.3', 'Technical compliance review', 'A.18 Compliance');

CREATE TEMP TABLE ref_map (id_2013 text, id_2022 text);
INSERT INTO ref_map VALUES
    ('A.5.1.1', '5.1'),
    ('A.5.1.2', '5.1'),
    ('A.6.1.1', '5.2'),
    ('A.6.1.2', '5.3'),
    ('A.6.1.3', '5.5'),
    ('A.6.1.4', '5.6'),
    ('A.6.1.5', '5.8'),
    ('A.6.2.1', '8.1'),
    ('A.6.2.2', '6.7'),
    ('A.7.1.1', '6.1'),
    ('A.7.1.2', '6.2'),
    ('A.7.2.1', '5.4'),
    ('A.7.2.2', '6.3'),
    ('A.7.2.3', '6.4'),
    ('A.7.3.1', '6.5'),
    ('A.8.1.1', '5.9'),
    ('A.8.1.2', '5.9'),
    ('A.8.1.3', '5.10'),
    ('A.8.1.4', '5.11'),
    ('A.8.2.1', '5.12'),
    ('A.8.2.2', '5.13'),
    ('A.8.2.3', '5.10'),
    ('A.8.3.1', '7.10'),
    ('A.8.3.2', '7.10'),
    ('A.8.3.3', '7.10'),
    ('A.9.1.1', '5.15'),
    ('A.9.1.2', '5.15'),
    ('A.9.2.1', '5.16'),
    ('A.9.2.2', '5.18'),
    ('A.9.2.3', '8.2'),
    ('A.9.2.4', '5.17'),
    ('A.9.2.5', '5.18'),
    ('A.9.2.6', '5.18'),
    ('A.9.3.1', '5.17'),
    ('A.9.4.1', '8.3'),
    ('A.9.4.2', '8.5'),
    ('A.9.4.3', '5.17'),
    ('A.9.4.4', '8.18'),
    ('A.9.4.5', '8.4'),
    ('A.10.1.1', '8.24'),
    ('A.10.1.2', '8.24'),
    ('A.11.1.1', '7.1'),
    ('A.11.1.2', '7.2'),
    ('A.11.1.3', '7.3'),
    ('A.11.1.4', '7.5'),
    ('A.11.1.5', '7.6'),
    ('A.11.1.6', '7.2'),
    ('A.11.2.1', '7.8'),
    ('A.11.2.2', '7.11'),
    ('A.11.2.3', '7.12'),
    ('A.11.2.4', '7.13'),
    ('A.11.2.5', '7.10'),
    ('A.11.2.6', '7.9'),
    ('A.11.2.7', '7.14'),
    ('A.11.2.8', '8.1'),
    ('A.11.2.9', '7.7'),
    ('A.12.1.1', '5.37'),
    ('A.12.1.2', '8.32'),
    ('A.12.1.3', '8.6'),
    ('A.12.1.4', '8.31'),
    ('A.12.2.1', '8.7'),
    ('A.12.3.1', '8.13'),
    ('A.12.4.1', '8.15'),
    ('A.12.4.2', '8.15'),
    ('A.12.4.3', '8.15'),
    ('A.12.4.4', '8.17'),
    ('A.12.5.1', '8.19'),
    ('A.12.6.1', '8.8'),
    ('A.12.6.2', '8.19'),
    ('A.12.7.1', '8.34'),
    ('A.13.1.1', '8.20'),
    ('A.13.1.2', '8.21'),
    ('A.13.1.3', '8.22'),
    ('A.13.2.1', '5.14'),
    ('A.13.2.2', '5.14'),
    ('A.13.2.3', '5.14'),
    ('A.13.2.4', '6.6'),
    ('A.14.1.1', '5.8'),
    ('A.14.1.2', '8.26'),
    ('A.14.1.3', '8.26'),
    ('A.14.2.1', '8.25'),
    ('A.14.2.2', '8.32'),
    ('A.14.2.3', '8.32'),
    ('A.14.2.4', '8.32'),
    ('A.14.2.5', '8.27'),
    ('A.14.2.6', '8.31'),
    ('A.14.2.7', '8.30'),
    ('A.14.2.8', '8.29'),
    ('A.14.2.9', '8.29'),
    ('A.14.3.1', '8.33'),
    ('A.15.1.1', '5.19'),
    ('A.15.1.2', '5.20'),
    ('A.15.1.3', '5.21'),
    ('A.15.2.1', '5.22'),
    ('A.15.2.2', '5.22'),
    ('A.16.1.1', '5.24'),
    ('A.16.1.2', '6.8'),
    ('A.16.1.3', '6.8'),
    ('A.16.1.4', '5.25'),
    ('A.16.1.5', '5.26'),
    ('A.16.1.6', '5.27'),
    ('A.16.1.7', '5.28'),
    ('A.17.1.1', '5.29'),
    ('A.17.1.2', '5.29'),
    ('A.17.1.3', '5.29'),
    ('A.17.2.1', '8.14'),
    ('A.18.1.1', '5.31'),
    ('A.18.1.2', '5.32'),
    ('A.18.1.3', '5.33'),
    ('A.18.1.4', '5.34'),
    ('A.18.1.5', '5.31'),
    ('A.18.2.1', '5.35'),
    ('A.18.2.2', '5.36'),
    ('A.18.2.3', '5.36'),
    ('A.18.2.3', '8.8');

CREATE TEMP TABLE ref_clauses (ord serial, ref text, title text);
INSERT INTO ref_clauses (ref, title) VALUES
    ('4', 'Context of the organization'),
    ('4.1', 'Understanding the organization and its context'),
    ('4.2', 'Understanding the needs and expectations of interested parties'),
    ('4.3', 'Determining the scope of the information security management system'),
    ('4.4', 'Information security management system'),
    ('5', 'Leadership'),
    ('5.1', 'Leadership and commitment'),
    ('5.2', 'Policy'),
    ('5.3', 'Organizational roles, responsibilities and authorities'),
    ('6', 'Planning'),
    ('6.1', 'Actions to address risks and opportunities'),
    ('6.1.1', 'General'),
    ('6.1.2', 'Information security risk assessment'),
    ('6.1.3', 'Information security risk treatment'),
    ('6.2', 'Information security objectives and planning to achieve them'),
    ('6.3', 'Planning of changes'),
    ('7', 'Support'),
    ('7.1', 'Resources'),
    ('7.2', 'Competence'),
    ('7.3', 'Awareness'),
    ('7.4', 'Communication'),
    ('7.5', 'Documented information'),
    ('7.5.1', 'General'),
    ('7.5.2', 'Creating and updating'),
    ('7.5.3', 'Control of documented information'),
    ('8', 'Operation'),
    ('8.1', 'Operational planning and control'),
    ('8.2', 'Information security risk assessment'),
    ('8.3', 'Information security risk treatment'),
    ('9', 'Performance evaluation'),
    ('9.1', 'Monitoring, measurement, analysis and evaluation'),
    ('9.2', 'Internal audit'),
    ('9.2.1', 'General'),
    ('9.2.2', 'Internal audit programme'),
    ('9.3', 'Management review'),
    ('9.3.1', 'General'),
    ('9.3.2', 'Management review inputs'),
    ('9.3.3', 'Management review results'),
    ('10', 'Improvement'),
    ('10.1', 'Continual improvement'),
    ('10.2', 'Nonconformity and corrective action');

GRANT SELECT ON ref_2022, ref_2013, ref_map, ref_clauses TO isms_app;

-- Counts --------------------------------------------------------------------

SELECT results_eq(
    $$SELECT slug, edition FROM frameworks WHERE tenant_id IS NULL ORDER BY slug$$,
    $$VALUES ('iso27001-2013', '2013'), ('iso27001-2022', '2022')$$,
    'two global frameworks are seeded');
SELECT results_eq(
    $$SELECT kind, count(*) FROM requirements
       WHERE framework_id = catalog_id('iso27001-2022') GROUP BY kind ORDER BY kind$$,
    $$VALUES ('clause', 41::bigint), ('control', 93), ('group', 4)$$,
    'iso27001-2022: 41 clauses (4-10 with sub-clauses), 93 controls, 4 themes');
SELECT results_eq(
    $$SELECT theme, count(*) FROM requirements
       WHERE framework_id = catalog_id('iso27001-2022') AND kind = 'control'
       GROUP BY theme ORDER BY theme$$,
    $$VALUES ('organizational', 37::bigint), ('people', 8), ('physical', 14),
             ('technological', 34)$$,
    'the four themes hold 37, 8, 14 and 34 controls');
SELECT results_eq(
    $$SELECT kind, count(*) FROM requirements
       WHERE framework_id = catalog_id('iso27001-2013') GROUP BY kind ORDER BY kind$$,
    $$VALUES ('control', 114::bigint), ('group', 14)$$,
    'iso27001-2013: 114 controls in 14 domains');
SELECT is((SELECT count(*) FROM requirement_mappings), 115::bigint,
    '115 mappings from 2013 to 2022');

-- Ids and titles against the reference --------------------------------------

SELECT results_eq(
    $$SELECT r.ref, r.title, r.theme FROM requirements r
       WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'control'
       ORDER BY r.sort_order$$,
    $$SELECT 'A.' || id, title, theme FROM ref_2022 ORDER BY ord$$,
    'the 2022 controls are the reference''s, in its order (ref = A. + id)');
SELECT results_eq(
    $$SELECT r.ref, r.title, p.ref || ' ' || p.title FROM requirements r
       JOIN requirements p ON p.id = r.parent_id
       WHERE r.framework_id = catalog_id('iso27001-2013') AND r.kind = 'control'
       ORDER BY r.sort_order$$,
    $$SELECT id, title, domain FROM ref_2013 ORDER BY ord$$,
    'the 2013 controls are the reference''s, each under its domain');
SELECT results_eq(
    $$SELECT r.ref, r.title FROM requirements r
       WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'clause'
       ORDER BY r.sort_order$$,
    $$SELECT ref, title FROM ref_clauses ORDER BY ord$$,
    'clauses 4 to 10 with their sub-clauses, numbered and titled as the standard');
SELECT is((SELECT count(*) FROM requirements r
            WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'clause'
              AND r.ref LIKE '%.%'
              AND NOT EXISTS (SELECT 1 FROM requirements c WHERE c.parent_id = r.id)),
    30::bigint, '30 of the sub-clauses are leaf requirements');
SELECT is_empty(
    $$SELECT r.ref FROM requirements r JOIN requirements p ON p.id = r.parent_id
       WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'clause'
         AND r.ref NOT LIKE p.ref || '.%'$$,
    'every sub-clause sits under the clause its number names');
SELECT set_eq(
    $$SELECT a.ref AS from_ref, b.ref AS to_ref FROM requirement_mappings m
       JOIN requirements a ON a.id = m.from_requirement
       JOIN requirements b ON b.id = m.to_requirement$$,
    $$SELECT id_2013, 'A.' || id_2022 FROM ref_map$$,
    'the mapping pairs are the reference''s');
SELECT ok((SELECT bool_and(a.framework_id = catalog_id('iso27001-2013')
                           AND b.framework_id = catalog_id('iso27001-2022'))
             FROM requirement_mappings m
             JOIN requirements a ON a.id = m.from_requirement
             JOIN requirements b ON b.id = m.to_requirement),
    'every mapping goes from a 2013 control to a 2022 control');
SELECT set_eq(
    $$SELECT r.ref FROM requirements r
       WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'control'
         AND NOT EXISTS (SELECT 1 FROM requirement_mappings m WHERE m.to_requirement = r.id)$$,
    $$VALUES ('A.' || '5.7'), ('A.' || '5.23'), ('A.' || '5.30'), ('A.' || '7.4'), ('A.' || '8.9'), ('A.' || '8.10'), ('A.' || '8.11'), ('A.' || '8.12'), ('A.' || '8.16'), ('A.' || '8.23'), ('A.' || '8.28')$$,
    'the 2022 controls no 2013 control maps to are exactly the 11 new ones');
SELECT is_empty(
    $$SELECT r.ref FROM requirements r
       WHERE r.framework_id = catalog_id('iso27001-2013') AND r.kind = 'control'
         AND NOT EXISTS (SELECT 1 FROM requirement_mappings m WHERE m.from_requirement = r.id)$$,
    'every 2013 control maps to a 2022 control');

-- ISO/IEC 27002:2022 attributes: value counts over the 93 controls ----------

CREATE TEMP VIEW attr AS
    SELECT r.ref, a.key, v.value
      FROM requirements r, jsonb_each(r.attributes) a, jsonb_array_elements_text(a.value) v
     WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'control';

SELECT is((SELECT count(*) FROM requirements r
            WHERE r.framework_id = catalog_id('iso27001-2022') AND r.kind = 'control'
              AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(r.attributes) k)
                  = ARRAY['control_type', 'cybersecurity_concepts', 'information_security_properties',
                          'operational_capabilities', 'security_domains']),
    93::bigint, 'every control has the five attribute types');
SELECT results_eq(
    $$SELECT value, count(*) FROM attr WHERE key = 'control_type' GROUP BY value ORDER BY value$$,
    $$VALUES ('Corrective', 14::bigint), ('Detective', 13), ('Preventive', 83)$$,
    'control type: Preventive 83, Detective 13, Corrective 14');
SELECT results_eq(
    $$SELECT value, count(*) FROM attr WHERE key = 'information_security_properties'
       GROUP BY value ORDER BY value$$,
    $$VALUES ('Availability', 85::bigint), ('Confidentiality', 87), ('Integrity', 84)$$,
    'properties: Confidentiality 87, Integrity 84, Availability 85');
SELECT is((SELECT count(*) FROM (SELECT ref FROM attr WHERE key = 'information_security_properties'
                                  GROUP BY ref HAVING count(*) = 3) x),
    79::bigint, '79 controls have all of C, I and A');
SELECT results_eq(
    $$SELECT value, count(*) FROM attr WHERE key = 'cybersecurity_concepts' GROUP BY value ORDER BY value$$,
    $$VALUES ('Detect', 14::bigint), ('Identify', 23), ('Protect', 71), ('Recover', 6), ('Respond', 11)$$,
    'concepts: Identify 23, Protect 71, Detect 14, Respond 11, Recover 6');
SELECT results_eq(
    $$SELECT value, count(*) FROM attr WHERE key = 'operational_capabilities' GROUP BY value ORDER BY value$$,
    $$VALUES ('Application_security', 12::bigint), ('Asset_management', 16), ('Continuity', 6),
             ('Governance', 8), ('Human_resource_security', 6), ('Identity_and_access_management', 11),
             ('Information_protection', 15), ('Information_security_assurance', 4),
             ('Information_security_event_management', 10), ('Legal_and_compliance', 6),
             ('Physical_security', 16), ('Secure_configuration', 6),
             ('Supplier_relationships_security', 7), ('System_and_network_security', 17),
             ('Threat_and_vulnerability_management', 3)$$,
    'the 15 operational capabilities with their counts');
SELECT results_eq(
    $$SELECT value, count(*) FROM attr WHERE key = 'security_domains' GROUP BY value ORDER BY value$$,
    $$VALUES ('Defence', 22::bigint), ('Governance_and_Ecosystem', 27), ('Protection', 69),
             ('Resilience', 8)$$,
    'security domains: Governance_and_Ecosystem 27, Protection 69, Defence 22, Resilience 8');
SELECT set_eq(
    $$SELECT ref FROM attr WHERE key = 'control_type' AND value = 'Corrective'$$,
    $$VALUES ('A.5.5'), ('A.5.6'), ('A.5.7'), ('A.5.24'), ('A.5.26'), ('A.5.28'), ('A.5.29'),
             ('A.5.30'), ('A.5.35'), ('A.5.37'), ('A.6.4'), ('A.8.7'), ('A.8.13'), ('A.8.16')$$,
    'the corrective controls are those of the standard''s table A.2');
SELECT set_eq(
    $$SELECT ref FROM attr WHERE key = 'control_type' AND value = 'Detective'$$,
    $$VALUES ('A.5.7'), ('A.5.25'), ('A.6.8'), ('A.7.4'), ('A.7.11'), ('A.8.6'), ('A.8.7'),
             ('A.8.12'), ('A.8.15'), ('A.8.16'), ('A.8.17'), ('A.8.20'), ('A.8.30')$$,
    'the detective controls');

-- Isolation of catalog rows ---------------------------------------------------

-- A framework of tenant B, written on the owner side.
INSERT INTO frameworks (id, tenant_id, slug, name, source) VALUES
    ('bbbbbbbb-0000-4000-8000-0000000000f1', 'bbbbbbbb-0000-4000-8000-000000000000',
     'b-own', 'B''s own', 'json');
INSERT INTO requirements (id, tenant_id, framework_id, ref, kind, title, sort_order) VALUES
    ('bbbbbbbb-0000-4000-8000-0000000000e1', 'bbbbbbbb-0000-4000-8000-000000000000',
     'bbbbbbbb-0000-4000-8000-0000000000f1', 'B-1', 'control', 'B control', 0);

SELECT pg_temp.act_as('aaaaaaaa-0000-4000-8000-000000000000',
                      'cccccccc-0000-4000-8000-000000000001', 'req-controls');
SET LOCAL ROLE isms_app;

SELECT results_eq($$SELECT slug FROM frameworks ORDER BY slug$$,
    $$VALUES ('iso27001-2013'), ('iso27001-2022')$$,
    'A sees the global frameworks and not B''s');
SELECT is((SELECT count(*) FROM requirements
            WHERE id = 'bbbbbbbb-0000-4000-8000-0000000000e1'), 0::bigint,
    'A does not see B''s requirements');
SELECT throws_ok(
    $$INSERT INTO frameworks (slug, name, source) VALUES ('mine', 'Global by A', 'json')$$,
    '42501', NULL, 'A cannot create a global framework');
SELECT is_empty($$DELETE FROM frameworks WHERE slug = 'iso27001-2022' RETURNING id$$,
    'A cannot delete a global framework');
SELECT throws_ok($$UPDATE requirements SET title = 'x' WHERE ref = 'A.5.1'$$,
    '42501', NULL, 'A cannot change global requirements');
SELECT throws_ok(
    $$INSERT INTO requirements (tenant_id, framework_id, ref, kind, title, sort_order)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022'),
              'A.9.9', 'control', 'planted', 999)$$,
    '23503', NULL, 'A cannot add a requirement to a global framework');
SELECT throws_ok(
    $$INSERT INTO frameworks (tenant_id, slug, name, source)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'iso27001-2022', 'Shadow', 'json')$$,
    'IS409', NULL, 'a tenant slug cannot shadow a global one');
SELECT lives_ok(
    $$INSERT INTO frameworks (tenant_id, slug, name, source)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'b-own', 'A''s own', 'json')$$,
    'another tenant''s slug is free in A');

-- Links into catalogs -----------------------------------------------------------

INSERT INTO controls (tenant_id, id, name, status) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c1',
     'Access reviews', 'implemented'),
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c2',
     'Access policy', 'planned');

SELECT throws_ok(
    $$INSERT INTO control_requirements (tenant_id, control_id, requirement_id)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c1',
              'bbbbbbbb-0000-4000-8000-0000000000e1')$$,
    'IS422', NULL, 'A cannot link its control to B''s requirement (the foreign key alone would)');
SELECT throws_ok(
    $$INSERT INTO soa_entries (tenant_id, requirement_id, applicable, exclusion_justification)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022', '6.1.3'),
              false, 'clauses are mandatory')$$,
    'IS422', NULL, 'a clause has no SoA entry: clauses 4 to 10 cannot be excluded');
SELECT throws_ok(
    $$INSERT INTO soa_entries (tenant_id, requirement_id, applicable)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022', 'A.5.3'), true)$$,
    '23514', NULL, 'an included control needs a reason');
SELECT throws_ok(
    $$INSERT INTO soa_entries (tenant_id, requirement_id, applicable, justification_reasons)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022', 'A.5.3'),
              true, '{gut_feeling}')$$,
    '23514', NULL, 'reasons come from the fixed list');

-- The statement --------------------------------------------------------------

INSERT INTO control_requirements (tenant_id, control_id, requirement_id) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c1',
     catalog_id('iso27001-2022', 'A.5.15')),
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c2',
     catalog_id('iso27001-2022', 'A.5.15')),
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c1',
     catalog_id('iso27001-2022', 'A.5.18'));
INSERT INTO soa_entries (tenant_id, requirement_id, applicable, justification_reasons,
                         exclusion_justification) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022', 'A.5.15'), true,
     '{risk_treatment}', NULL),
    ('aaaaaaaa-0000-4000-8000-000000000000', catalog_id('iso27001-2022', 'A.7.4'), false,
     '{}', 'No premises of our own');

CREATE TEMP VIEW soa AS
    SELECT x ->> 'ref' AS ref, x ->> 'applicability' AS applicability,
           x ->> 'implementation_status' AS status, jsonb_array_length(x -> 'controls') AS controls
      FROM jsonb_array_elements(soa_items(catalog_id('iso27001-2022'))) x;
GRANT SELECT ON soa TO isms_app;

SELECT is((SELECT count(*) FROM soa), 93::bigint,
    'the statement lists every Annex A control, and no clause');
SELECT results_eq(
    $$SELECT ref, applicability, status, controls FROM soa
       WHERE ref IN ('A.5.15', 'A.5.18', 'A.5.1', 'A.7.4') ORDER BY ref$$,
    $$VALUES ('A.5.1', 'undecided', 'not_started', 0), ('A.5.15', 'included', 'planned', 2),
             ('A.5.18', 'undecided', 'implemented', 1), ('A.7.4', 'excluded', 'not_applicable', 0)$$,
    'status: the least advanced linked control, not_started without one, not_applicable when excluded');
SELECT is(soa_summary(soa_items(catalog_id('iso27001-2022'))) -> 'undecided', '91'::jsonb,
    'the summary counts the undecided');
SELECT results_eq(
    $$SELECT x ->> 'ref', x -> 'changes' FROM jsonb_array_elements(soa_diff(
        '[{"requirement_id": "1", "ref": "A.1", "applicability": "undecided",
           "implementation_status": "not_started"},
          {"requirement_id": "2", "ref": "A.2", "applicability": "included",
           "justification_reasons": ["legal"], "implementation_status": "planned"}]',
        '[{"requirement_id": "1", "ref": "A.1", "applicability": "undecided",
           "implementation_status": "not_started"},
          {"requirement_id": "2", "ref": "A.2", "applicability": "included",
           "justification_reasons": ["legal", "business"], "implementation_status": "implemented"},
          {"requirement_id": "3", "ref": "A.3", "applicability": "undecided",
           "implementation_status": "not_started"}]')) x$$,
    $$VALUES ('A.2', '["justification_reasons", "implementation_status"]'::jsonb),
             ('A.3', '["applicability", "justification_reasons", "justification",
                       "exclusion_justification", "implementation_status"]')$$,
    'the diff names what changed, and requirements only one side has');

-- Needing evidence ------------------------------------------------------------

SELECT is(control_needs_evidence('implemented', 'aaaaaaaa-0000-4000-8000-0000000000c1'), true,
    'an implemented control without evidence needs evidence');
INSERT INTO evidence (tenant_id, id, title, kind, url, valid_until) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1',
     'Review minutes', 'link', 'https://wiki.example/minutes', current_date);
INSERT INTO evidence_controls (tenant_id, evidence_id, control_id) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1',
     'aaaaaaaa-0000-4000-8000-0000000000c1');
SELECT is(control_evidence_status('aaaaaaaa-0000-4000-8000-0000000000c1'), 'valid',
    'evidence valid until today counts today');
RESET ROLE;
UPDATE evidence SET valid_until = current_date - 1
 WHERE id = 'aaaaaaaa-0000-4000-8000-0000000000d1';
SET LOCAL ROLE isms_app;
SELECT results_eq(
    $$SELECT control_evidence_status('aaaaaaaa-0000-4000-8000-0000000000c1'),
             control_needs_evidence('implemented', 'aaaaaaaa-0000-4000-8000-0000000000c1')$$,
    $$VALUES ('expired', true)$$,
    'expired evidence leaves the control needing evidence');

-- Frozen rows -------------------------------------------------------------------

INSERT INTO evidence (tenant_id, id, title, kind, filename, content_type, size, sha256) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d2',
     'File', 'file', 'a.txt', 'text/plain', 3, sha256('abc'));
INSERT INTO evidence_content (tenant_id, evidence_id, content) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d2', 'abc');
SELECT throws_ok(
    $$UPDATE evidence_content SET content = 'abd'$$,
    '42501', NULL, 'the service cannot change evidence bytes');
SELECT throws_ok(
    $$INSERT INTO evidence (tenant_id, title, kind, url, filename)
      VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'Both', 'link', 'https://x.example', 'x.txt')$$,
    '23514', NULL, 'a link has no file name');
INSERT INTO soa_versions (tenant_id, number, framework_id, approved_by, snapshot) VALUES
    ('aaaaaaaa-0000-4000-8000-000000000000', 1, catalog_id('iso27001-2022'),
     'cccccccc-0000-4000-8000-000000000001', '{"items": []}');
SELECT throws_ok($$UPDATE soa_versions SET note = 'rewritten'$$,
    '42501', NULL, 'the service cannot change an approved version');
RESET ROLE;
SELECT throws_ok($$UPDATE soa_versions SET note = 'rewritten'$$,
    'IS409', NULL, 'not even the owner can change an approved version');
SELECT throws_ok($$UPDATE evidence_content SET content = 'abd'$$,
    'IS409', NULL, 'nor evidence bytes');

-- History ----------------------------------------------------------------------

SELECT is((SELECT count(*) FROM activity_log
            WHERE tenant_id = 'aaaaaaaa-0000-4000-8000-000000000000'
              AND entity IN ('frameworks', 'controls', 'control_requirements', 'soa_entries',
                             'evidence', 'evidence_controls', 'soa_versions')),
    13::bigint, 'A''s catalog, controls, links, entries, evidence (and its change) and version are in its log');
SELECT is((SELECT count(*) FROM activity_log WHERE entity = 'evidence_content'), 0::bigint,
    'evidence bytes never enter the log');

SELECT * FROM finish();
ROLLBACK;
