"""Talent discovery: who the researchers are, how much and how well they publish, where
they are now, and who is rising (docs/methodology.md, "People")."""
