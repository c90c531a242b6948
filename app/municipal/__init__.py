"""柏市's console: childcare services, delegated disclosure requests, EBPM (aggregates only)."""
