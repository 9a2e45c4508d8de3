-- Invoices and their lines, visible to every member of the invoice's organization (tenant: org_id).
CREATE TYPE public.invoice_status AS ENUM ('draft', 'open', 'paid', 'void');

CREATE TABLE public.invoices (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  number     integer NOT NULL CHECK (number > 0),
  amount     numeric(12, 2) NOT NULL CHECK (amount >= 0),
  currency   char(3) NOT NULL DEFAULT 'EUR',
  status     public.invoice_status NOT NULL DEFAULT 'draft',
  memo       text,
  metadata   jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  paid_at    timestamptz
);
CREATE INDEX invoices_org_idx ON public.invoices (org_id);

CREATE TABLE public.invoice_lines (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  invoice_id  uuid NOT NULL REFERENCES public.invoices (id) ON DELETE CASCADE,
  description text NOT NULL,
  quantity    integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
  unit_price  numeric(10, 2) NOT NULL CHECK (unit_price >= 0)
);
CREATE INDEX invoice_lines_invoice_idx ON public.invoice_lines (invoice_id);

ALTER TABLE public.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.invoice_lines ENABLE ROW LEVEL SECURITY;

-- Multi-tenant isolation on org_id, not on a user column: a member sees every invoice of their organizations.
CREATE POLICY invoices_of_my_orgs ON public.invoices FOR ALL TO authenticated
  USING (org_id IN (SELECT public.my_org_ids()))
  WITH CHECK (org_id IN (SELECT public.my_org_ids()));
CREATE POLICY invoice_lines_of_my_orgs ON public.invoice_lines FOR ALL TO authenticated
  USING (invoice_id IN (SELECT i.id FROM public.invoices i WHERE i.org_id IN (SELECT public.my_org_ids())))
  WITH CHECK (invoice_id IN (SELECT i.id FROM public.invoices i WHERE i.org_id IN (SELECT public.my_org_ids())));

GRANT SELECT, INSERT, UPDATE, DELETE ON public.invoices, public.invoice_lines TO authenticated, service_role;

-- An app flow called over RPC: mark an invoice paid (only an open one; raises otherwise).
CREATE FUNCTION public.pay_invoice(invoice_id uuid) RETURNS public.invoices
LANGUAGE plpgsql AS $$
DECLARE
  paid public.invoices;
BEGIN
  UPDATE public.invoices SET status = 'paid', paid_at = now()
  WHERE id = pay_invoice.invoice_id AND status IN ('draft', 'open')
  RETURNING * INTO paid;
  IF paid.id IS NULL THEN
    RAISE EXCEPTION 'invoice % is not payable', pay_invoice.invoice_id USING ERRCODE = 'P0001';
  END IF;
  RETURN paid;
END
$$;
GRANT EXECUTE ON FUNCTION public.pay_invoice(uuid) TO authenticated, service_role;
