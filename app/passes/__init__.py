"""The resident's QR pass and what partners do with it: check-ins at events and coupon redemptions."""
