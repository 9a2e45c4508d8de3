"""The scenario engine: one module per phase (faults, workload, observe, expect, run)."""
