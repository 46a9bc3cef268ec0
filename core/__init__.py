"""The bottom layer: settings, warehouse URLs and connections, migrations, the working-day calendar.

Imported by every stage and by the top layer; imports no stage (`ingestion`, `expectations`,
`publishing`) and nothing of `infra` or `dags`.
"""
