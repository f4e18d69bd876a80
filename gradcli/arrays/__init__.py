"""Array problems: data, vector variables and whole-array expressions (issue 9).

The pipeline mirrors the scalar one but never expands to one symbol per weight:

    text --parse.py--> typed IR (ir.py: nodes with shapes, hash-consed, stability rewrites, constant folding)
         --grad.py--> reverse-mode gradient as more IR (vector-Jacobian rules per op)
         --evaluate.py--> one flat NumPy function for f and one for ∇f, sharing the forward pass
         --objective.py--> the counted Objective interface every solver uses.

``data.py`` loads arrays (files, generators), ``problem.py`` builds the ArrayProblem from a file's document.
"""
