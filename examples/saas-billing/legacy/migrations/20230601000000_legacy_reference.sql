-- The legacy project predates the migration to the new billing system: its invoices keep the old
-- system's reference, a column the other projects do not have (reads merge it; writes leave it null).
ALTER TABLE public.invoices ADD COLUMN legacy_ref text;
