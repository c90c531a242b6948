"""Google exports: Takeout archives (Location History, YouTube and YouTube Music history, Calendar, Blogger, My
Activity, profile and interests) and the on-device Timeline exports of Android and iOS. Pure Python like the rest of
`app.imports`: each module streams one format into interchange dicts (docs/interchange.md)."""
