"""Where switching items come from: Google's read API resources as interchange items (`google_api`), and the stable
source ids every interchange item is delivered under (`ids`). Pure: no database, no network."""
