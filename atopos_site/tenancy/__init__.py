"""Tenants: brands with their own domains and room policy on one deployment."""
