-- 0005_identity_privileges: the service role no longer reads password
-- hashes or rewrites identities. Login reads the hash through
-- auth_login_candidates() (SECURITY DEFINER); adding a member inserts a
-- new identity, never changes an existing one.

REVOKE SELECT, UPDATE ON users FROM isms_app;
GRANT SELECT (id, email, display_name, disabled_at) ON users TO isms_app;
