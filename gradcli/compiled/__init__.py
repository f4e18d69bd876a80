"""The compiled objective's contract: the Objective protocol, its counters and its evaluation observers."""
