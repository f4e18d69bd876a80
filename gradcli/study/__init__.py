"""Studies: many problems x many methods (compare), engines, results files, profiles."""
