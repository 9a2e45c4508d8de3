-- Payments carry the payment provider's reference, kept on the invoice it paid.
ALTER TABLE public.invoices ADD COLUMN payment_ref text;

DROP FUNCTION public.pay_invoice(uuid);

-- An app flow called over RPC: mark an invoice paid with the provider's reference (a void invoice raises).
CREATE FUNCTION public.pay_invoice(invoice_id uuid, payment_ref text) RETURNS public.invoices
LANGUAGE plpgsql AS $$
DECLARE
  paid public.invoices;
BEGIN
  UPDATE public.invoices
  SET status = 'paid', paid_at = now(), payment_ref = pay_invoice.payment_ref
  WHERE id = pay_invoice.invoice_id AND status <> 'void'
  RETURNING * INTO paid;
  IF paid.id IS NULL THEN
    RAISE EXCEPTION 'invoice % is not payable', pay_invoice.invoice_id USING ERRCODE = 'P0001';
  END IF;
  RETURN paid;
END
$$;
GRANT EXECUTE ON FUNCTION public.pay_invoice(uuid, text) TO authenticated, service_role;
