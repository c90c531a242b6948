"""Demo accounts for development: `flask --app app demo seed` (idempotent; refused in production)."""
