"""The durable job queue in the database, its worker process and the periodic scheduler."""
