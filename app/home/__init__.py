"""The landing page for visitors and the resident's home tab (ホーム)."""
