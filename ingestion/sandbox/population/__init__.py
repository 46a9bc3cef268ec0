"""National population database sandbox: a deterministic simulated interface of the one-stop
sandbox's province to the national population database (through the provincial integration
platform) — an OAuth2 token, the operational-monitoring log of the lookups and verifications
provincial systems make (X-Road model; the one-stop dossiers' lookups among them) and the monthly
population and VNeID statistics per commune (SOAP XML in a JSON string) — served over localhost
HTTP, generated a day at a time.

See README.md in this folder. Python entry points: `generate_population` (generator),
`Population`, `load_population`, `export_population` (replay) and `PopulationServer` (server).
"""
