-- +goose Up
-- 00001 let a signed-in person see their own memberships and orgs in every
-- organisation (the org switcher) through the same policy that governs
-- writes, so inside a user-bound transaction with no org set, the runtime
-- role could also update or delete those rows (and cascade-delete an
-- org's data). Split each policy: writes are bound to the current org
-- only; the person-wide view is read-only.
DROP POLICY tenant ON orgs;
CREATE POLICY tenant ON orgs
  USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY member_reads_own ON orgs FOR SELECT
  USING (id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = app_user_id()));

DROP POLICY tenant ON memberships;
CREATE POLICY tenant ON memberships
  USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());
CREATE POLICY member_reads_own ON memberships FOR SELECT
  USING (user_id = app_user_id());

-- +goose Down
DROP POLICY member_reads_own ON memberships;
DROP POLICY tenant ON memberships;
CREATE POLICY tenant ON memberships
  USING (org_id = app_org_id() OR user_id = app_user_id())
  WITH CHECK (org_id = app_org_id());
DROP POLICY member_reads_own ON orgs;
DROP POLICY tenant ON orgs;
CREATE POLICY tenant ON orgs
  USING (org_id = app_org_id()
         OR id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = app_user_id()))
  WITH CHECK (org_id = app_org_id());
