"""Reads of the community app, one module per part:

- neighborhoods.py: a neighborhood's public account (its requests, figures from the rollups, liaisons).
- program.py: the liaisons and their activity, for community staff.
- figures.py: the program's figures for leadership (liaisons over time, requests filed and outcomes).
- liaison_work.py: a liaison's dashboard (their neighborhoods' open, overdue and recently closed requests).
"""
