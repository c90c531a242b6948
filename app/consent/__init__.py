"""Consent: the catalogue of items, purposes and recipients, decisions, receipts, and the ONE enforcement
point through which every use of a resident's data passes. The 同意 tab."""
