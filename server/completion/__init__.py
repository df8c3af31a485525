"""Completion: prompt building, inference scheduling and postprocessing for ghost text and lists."""
