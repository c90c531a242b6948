"""The catalogue: 柏市 services, Kashiwa-no-ha venues, events and coupons, from the project's own data files."""
