"""The pre- and post-pilot surveys: questionnaires from data files, residents' answers (saved as they go, edited
until the survey closes), each submission a provision to the pilot analysts through the consent door, and the
analysts' console over what was provided (small groups suppressed)."""
