"""Safe parsing of user text (expressions, relations) into SymPy, never eval."""
