-- The specification's tables. Primary keys are uuids that either the client
-- supplies (idempotent writes) or the database generates.
-- There is deliberately no foreign key from user_challenges to profiles: the
-- documented design writes a challenge to BOLT or OLD when PRIMARY fails, while
-- the user's profile may live in another project.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE IF NOT EXISTS public.profiles (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL,
  email       text NOT NULL,
  full_name   text,
  role        text NOT NULL DEFAULT 'user',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.user_challenges (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL,
  email           text NOT NULL,
  account_size    numeric(12, 2) NOT NULL DEFAULT 10000,
  challenge_type  text NOT NULL DEFAULT 'CLASSIC 2-STEP',
  status          text NOT NULL DEFAULT 'pending',
  mt5_login       text,
  mt5_password    text,
  mt5_server      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS profiles_user_id_idx ON public.profiles (user_id);
CREATE INDEX IF NOT EXISTS user_challenges_user_id_idx ON public.user_challenges (user_id);

CREATE OR REPLACE FUNCTION public.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS profiles_touch ON public.profiles;
CREATE TRIGGER profiles_touch BEFORE UPDATE ON public.profiles
  FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();
DROP TRIGGER IF EXISTS user_challenges_touch ON public.user_challenges;
CREATE TRIGGER user_challenges_touch BEFORE UPDATE ON public.user_challenges
  FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();

-- Supabase's default grants: the API roles may use the public schema; RLS decides rows.
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO anon, authenticated, service_role;

ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_challenges ENABLE ROW LEVEL SECURITY;

-- A signed-in user sees and changes only their own rows; anon sees none;
-- service_role has BYPASSRLS and sees everything.
DROP POLICY IF EXISTS profiles_own_rows ON public.profiles;
CREATE POLICY profiles_own_rows ON public.profiles
  FOR ALL TO authenticated
  USING (user_id = auth.uid())
  WITH CHECK (user_id = auth.uid());

DROP POLICY IF EXISTS user_challenges_own_rows ON public.user_challenges;
CREATE POLICY user_challenges_own_rows ON public.user_challenges
  FOR ALL TO authenticated
  USING (user_id = auth.uid())
  WITH CHECK (user_id = auth.uid());
