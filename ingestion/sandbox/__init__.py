"""One-stop-shop sandbox: a deterministic simulated province served over localhost HTTP.

See README.md in this folder. Python entry points: `generate_province` (generator),
`Province`, `load_province`, `export_province` (province) and `SandboxServer` (server).
"""
