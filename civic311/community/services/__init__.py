"""Writes of the community app, one module per part (import the module: `from civic311.community.services
import training`):

- rollups.py: the neighborhood figures' rollup tables: rebuilt whole, and swept forward as requests change.
- applications.py: the public application to the Neighborhood Liaison Program, and its review.
- training.py: training sessions, registration, attendance, completion, refreshers, certificates.
- engagement.py: messages to liaisons (through the outbox), community meetings staff attend.
- liaison_filing.py: what a liaison files: a request on behalf of a neighbor, a meeting's notes as
  several requests at once (all or nothing).
- digests.py: the liaisons' weekly digest e-mail.
- liaison_work.py: a liaison's own small writes (last active, the digest on or off).
"""
