"""Recommendations: which 柏市 services a household can use (`eligibility`), and — in `ranking`, written separately —
which Kashiwa-no-ha events and coupons to show first.

The engine is pure: it takes a `household.HouseholdInput` (birth dates, counted siblings, city, 町丁目) and
catalogue rows (or anything with the same attributes), reads no database and no clock. `cli` is the operators'
`flask recommend preview`, which needs no account.
"""
