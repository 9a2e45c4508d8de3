-- Organizations and who belongs to them: the tenants of a multi-tenant billing app.
CREATE TYPE public.plan_tier AS ENUM ('free', 'team', 'business', 'enterprise');
CREATE TYPE public.member_role AS ENUM ('owner', 'admin', 'billing', 'viewer');

CREATE TABLE public.organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL CHECK (length(name) <= 80),
  plan       public.plan_tier NOT NULL DEFAULT 'free',
  settings   jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A composite primary key: one membership per (organization, user).
CREATE TABLE public.memberships (
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL,
  role       public.member_role NOT NULL DEFAULT 'viewer',
  invited_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON public.memberships (user_id);

-- Membership lookups for RLS run as the definer so the policies below do not recurse into memberships' own.
CREATE FUNCTION public.my_org_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT org_id FROM public.memberships WHERE user_id = auth.uid()
$$;

ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;

CREATE POLICY organizations_of_members ON public.organizations FOR ALL TO authenticated
  USING (id IN (SELECT public.my_org_ids()))
  WITH CHECK (id IN (SELECT public.my_org_ids()));
CREATE POLICY memberships_own ON public.memberships FOR ALL TO authenticated
  USING (user_id = auth.uid())
  WITH CHECK (user_id = auth.uid());

GRANT SELECT, INSERT, UPDATE, DELETE ON public.organizations, public.memberships TO authenticated, service_role;
GRANT SELECT ON public.organizations TO anon;
