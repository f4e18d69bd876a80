"""What to minimize: the Problem types, problem files, validation and starting points."""
