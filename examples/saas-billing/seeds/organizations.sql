-- The tenants, replicated in every project with the same ids (reference data an app keeps in sync
-- across its Supabase projects), so that an invoice written to any project finds its organization.
INSERT INTO public.organizations (id, name, plan, settings) VALUES
  ('0b9f6a52-3f57-4d0e-9d7c-5d1d3c1a0001', 'Acme Tools', 'business', '{"invoice_prefix": "ACME"}'),
  ('0b9f6a52-3f57-4d0e-9d7c-5d1d3c1a0002', 'Globex', 'team', '{"invoice_prefix": "GLX"}'),
  ('0b9f6a52-3f57-4d0e-9d7c-5d1d3c1a0003', 'Initech', 'free', '{}'),
  ('0b9f6a52-3f57-4d0e-9d7c-5d1d3c1a0004', 'Umbrella', 'enterprise', '{"net_days": 45}');
