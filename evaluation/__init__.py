"""Evaluation of the service, kept out of the runtime package: `python -m evaluation run|calibrate`.

It drives `app` (its HTTP API, its pipeline in process, its readers) and reads `evals/`; `app` never
imports it, so the service ships without it and nothing here can change an answer. `genre-docs`
rebuilds the genre set's documents from their specs.
"""
