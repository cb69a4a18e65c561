"""Resolution: affiliation strings to institutions, countries and sectors; authors to persons."""
