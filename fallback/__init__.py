"""Resilience-testing and outage-drill harness for multi-database fallback clients."""

__version__ = "0.1.0"
__all__ = ["__version__"]
