"""Question answering over Vietnamese local-government reports.

Data flow: ingest -> chunk -> embed -> index -> retrieve -> answer -> ground -> serve.
"""
