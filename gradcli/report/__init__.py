"""Everything that writes for people or files: tables, JSON, plots, saved points. Nothing here computes."""
